namespace Arena.Host.Gateway;

/// Keeps the pipelines' own endpoints private: only requests the gateway forwarded (carrying its secret) reach /api/pipelines/**.
internal sealed class PipelineEndpointGuard(RequestDelegate next, GatewaySecret secret, GatewayTelemetry telemetry)
{
    public const string PipelinesPath = "/api/pipelines";

    public Task InvokeAsync(HttpContext context)
    {
        var headers = context.Request.Headers;
        var presented = headers.TryGetValue(GatewaySecret.Header, out var values) && values.Count == 1 ? values[0] : null;
        // Nothing downstream, including a proxied request to an external destination, may see or echo the secret.
        headers.Remove(GatewaySecret.Header);

        if (context.Request.Path.StartsWithSegments(PipelinesPath, StringComparison.OrdinalIgnoreCase) && !secret.Matches(presented))
        {
            telemetry.RecordRejected();
            // Exactly what an unknown route answers, so the pipelines' paths are not even confirmed to exist.
            return Results.Problem(statusCode: StatusCodes.Status404NotFound).ExecuteAsync(context);
        }

        return next(context);
    }
}
