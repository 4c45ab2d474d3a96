using System.Text.Json;
using FluentValidation;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Arena.Host.Defaults;

/// Turns the exceptions that mean "bad input" into RFC 7807 answers naming the field; anything else stays a 500.
internal sealed class ProblemExceptionHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        var problem = exception switch
        {
            ValidationException validation => new HttpValidationProblemDetails(
                validation.Errors
                    .GroupBy(e => FieldName(e.PropertyName))
                    .ToDictionary(g => g.Key, g => g.Select(e => e.ErrorMessage).Distinct().ToArray()))
            {
                Title = "One or more fields are invalid.",
                Status = StatusCodes.Status400BadRequest,
            },
            BadHttpRequestException badRequest => BadRequest(badRequest),
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

    private static ProblemDetails BadRequest(BadHttpRequestException exception)
    {
        // A body that does not parse names the JSON path of the first bad token, e.g. "$.mode".
        if (exception.InnerException is JsonException { Path: { Length: > 0 } path } json)
        {
            var field = path.TrimStart('$', '.');
            return new HttpValidationProblemDetails(new Dictionary<string, string[]>
            {
                [field.Length == 0 ? "body" : field] = [json.Message.Split(" Path:")[0]],
            })
            {
                Title = "The request body is not valid JSON for this endpoint.",
                Status = exception.StatusCode,
            };
        }

        return new ProblemDetails { Title = "The request is malformed.", Detail = exception.Message, Status = exception.StatusCode };
    }
}
