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
        // The framework's defaults know no type for the statuses RFC 6585 added; RFC 9457 reads a missing type as
        // about:blank, which the document's schema requires spelled out.
        problem.Type ??= status switch
        {
            StatusCodes.Status429TooManyRequests => "https://tools.ietf.org/html/rfc6585#section-4",
            StatusCodes.Status431RequestHeaderFieldsTooLarge => "https://tools.ietf.org/html/rfc6585#section-5",
            _ => "about:blank",
        };
    }
}
