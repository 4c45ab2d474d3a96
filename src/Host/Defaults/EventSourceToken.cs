using Microsoft.AspNetCore.Authentication.JwtBearer;

namespace Arena.Host.Defaults;

/// A browser's <c>EventSource</c> cannot set an Authorization header, so the one route made for it, the resume of a
/// session's stream (endpoint <c>ResumeStream</c>, a GET), also takes the bearer token as <c>?access_token=</c>, the way
/// SignalR does for its WebSocket and server-sent-event transports. Every other route ignores the parameter, and a
/// request with an Authorization header is read from the header alone. The URL, token included, stays out of the log:
/// the request lines of ASP.NET Core's hosting are below the default level, Arena's own request line logs the path only,
/// and the tracing instrumentation redacts query values.
internal static class EventSourceToken
{
    public const string QueryName = "access_token";

    public const string EndpointName = "ResumeStream";

    public static Task ReadFromQuery(MessageReceivedContext context)
    {
        var http = context.HttpContext;
        if (HttpMethods.IsGet(http.Request.Method)
            && !http.Request.Headers.ContainsKey("Authorization")
            && http.GetEndpoint()?.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName == EndpointName
            && http.Request.Query.TryGetValue(QueryName, out var token)
            && token.Count == 1)
        {
            context.Token = token.ToString();
        }

        return Task.CompletedTask;
    }
}
