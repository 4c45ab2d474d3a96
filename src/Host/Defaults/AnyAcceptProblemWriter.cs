using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace Arena.Host.Defaults;

/// The framework's problem writer answers only clients whose Accept admits JSON; an SSE client (<c>Accept:
/// text/event-stream</c>) refused before its stream starts got a bare status. Registered after it, this one writes the
/// same problem to every other client, so a 4xx or 503 always carries its problem+json body.
internal sealed class AnyAcceptProblemWriter(IOptions<JsonOptions> json, IOptions<ProblemDetailsOptions> options) : IProblemDetailsWriter
{
    public bool CanWrite(ProblemDetailsContext context) => true;

    public ValueTask WriteAsync(ProblemDetailsContext context)
    {
        options.Value.CustomizeProblemDetails?.Invoke(context);
        var problem = context.ProblemDetails;
        // The runtime type: a validation problem's errors live on the subclass.
        return new ValueTask(context.HttpContext.Response.WriteAsJsonAsync(problem, problem.GetType(), json.Value.SerializerOptions, "application/problem+json", context.HttpContext.RequestAborted));
    }
}
