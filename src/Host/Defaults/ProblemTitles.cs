using System.Diagnostics;
using Microsoft.AspNetCore.WebUtilities;

namespace Arena.Host.Defaults;

/// One title per kind of problem, whichever module or framework component wrote it, so that clients can key on the title;
/// what a module said specifically moves into the detail.
internal static class ProblemTitles
{
    private const string FrameworkValidationTitle = "One or more validation errors occurred.";

    public static string For(int status) => status switch
    {
        StatusCodes.Status400BadRequest => "The request is invalid.",
        StatusCodes.Status401Unauthorized => "A valid bearer token is required.",
        StatusCodes.Status403Forbidden => "The token does not allow this request.",
        StatusCodes.Status404NotFound => "The resource does not exist.",
        StatusCodes.Status405MethodNotAllowed => "The method is not allowed on this resource.",
        StatusCodes.Status409Conflict => "The request conflicts with the resource's current state.",
        StatusCodes.Status413PayloadTooLarge => "The request is too large.",
        StatusCodes.Status415UnsupportedMediaType => "The body's media type is not supported.",
        StatusCodes.Status429TooManyRequests => "Too many requests.",
        StatusCodes.Status503ServiceUnavailable => "The service is busy.",
        >= 500 => "The server failed to answer.",
        _ => ReasonPhrases.GetReasonPhrase(status),
    };

    public static void Apply(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        var status = problem.Status ?? context.HttpContext.Response.StatusCode;
        problem.Status = status;
        var title = For(status);
        if (problem.Title is { Length: > 0 } specific && specific != title && specific != FrameworkValidationTitle && specific != ReasonPhrases.GetReasonPhrase(status))
        {
            problem.Detail = string.IsNullOrEmpty(problem.Detail) ? specific : $"{specific} {problem.Detail}";
        }

        problem.Title = title;
        // The framework's writer fills in the status's RFC link and the trace id before this runs; the writer for clients
        // that do not accept JSON runs without them, so the same problem carries the same type and trace id either way.
        problem.Type ??= TypeFor(status);
        // The framework names its key by the API's snake_case JSON policy.
        problem.Extensions.TryAdd("trace_id", Activity.Current?.Id ?? context.HttpContext.TraceIdentifier);
    }

    /// The section of RFC 9110 (or RFC 6585, which added 429 and 431) that defines the status; RFC 9457 reads a missing
    /// type as about:blank, which the document's schema requires spelled out.
    private static string TypeFor(int status) => status switch
    {
        StatusCodes.Status429TooManyRequests => "https://tools.ietf.org/html/rfc6585#section-4",
        StatusCodes.Status431RequestHeaderFieldsTooLarge => "https://tools.ietf.org/html/rfc6585#section-5",
        >= 400 and <= 426 when Rfc9110ClientSection(status) is { } section => $"https://tools.ietf.org/html/rfc9110#section-15.5.{section}",
        >= 500 and <= 505 => $"https://tools.ietf.org/html/rfc9110#section-15.6.{status - 499}",
        _ => "about:blank",
    };

    /// RFC 9110 numbers its 4xx sections in status order (418 among them, as unused) and defines 421, 422 and 426 after it.
    private static int? Rfc9110ClientSection(int status) => status switch
    {
        <= 418 => status - 399,
        421 => 20,
        422 => 21,
        426 => 22,
        _ => null,
    };
}
