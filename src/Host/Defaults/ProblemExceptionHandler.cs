using System.Text.Json;
using FluentValidation;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace Arena.Host.Defaults;

/// Turns the exceptions that mean "bad input" into RFC 7807 answers naming the field, and an unreachable database into
/// 503 with <c>Retry-After</c>; anything else stays a 500.
internal sealed class ProblemExceptionHandler(IProblemDetailsService problems, IOptions<JsonOptions> json, ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (DatabaseUnavailable.Find(exception) is { } outage)
        {
            // Expected while the database is down: one line, no stack trace.
            DatabaseUnavailable.Log(logger, context.Request.Method, context.Request.Path, outage.Message);
            DatabaseUnavailable.ForgetConnections(context.RequestServices, outage);
            if (context.Response.HasStarted)
            {
                return false;
            }

            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            context.Response.Headers.RetryAfter = DatabaseUnavailable.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return await problems.TryWriteAsync(new ProblemDetailsContext
            {
                HttpContext = context,
                ProblemDetails = new Microsoft.AspNetCore.Mvc.ProblemDetails
                {
                    Status = StatusCodes.Status503ServiceUnavailable,
                    Detail = "The database did not answer; send the request again shortly.",
                },
                Exception = exception,
            });
        }

        var problem = exception switch
        {
            ValidationException validation => new HttpValidationProblemDetails(
                validation.Errors
                    .GroupBy(e => FieldName(e.PropertyName))
                    .ToDictionary(g => g.Key, g => g.Select(e => e.ErrorMessage).Distinct().ToArray()))
            {
                Status = StatusCodes.Status400BadRequest,
            },
            BadHttpRequestException badRequest => RequestErrors.Describe(context, badRequest, json.Value.SerializerOptions),
            _ => null,
        };
        if (problem is null)
        {
            return false;
        }

        context.Response.StatusCode = problem.Status!.Value;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem, Exception = exception });
    }

    internal static string FieldName(string propertyPath) =>
        string.Join('.', propertyPath.Split('.').Select(JsonNamingPolicy.SnakeCaseLower.ConvertName));
}
