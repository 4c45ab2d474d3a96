using Arena.Modules.Messaging.Contracts;
using Microsoft.Extensions.Primitives;
using Yarp.ReverseProxy.Forwarder;

namespace Arena.Host.Gateway;

/// A request forwarded to another instance carries what that instance answers from (the client's credentials, position,
/// protocol and, for a retried start, its idempotency key and body) and the marker that stops it forwarding on, on the
/// client's own path and query (where an EventSource puts its token). The base implementation would copy every other
/// header of the client's as well, the marker included.
internal sealed class InstanceForwardTransformer : HttpTransformer
{
    public static readonly InstanceForwardTransformer Instance = new();

    private static readonly string[] ForwardedHeaders = ["Authorization", "Last-Event-ID", "X-Arena-Protocol", "Idempotency-Key"];

    private InstanceForwardTransformer()
    {
    }

    public override ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        var request = httpContext.Request;
        foreach (var name in ForwardedHeaders)
        {
            if (request.Headers.TryGetValue(name, out var values) && !StringValues.IsNullOrEmpty(values))
            {
                proxyRequest.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            }
        }

        proxyRequest.Headers.TryAddWithoutValidation(ForwardToInstance.MarkerHeader, "1");
        proxyRequest.RequestUri = RequestUtilities.MakeDestinationAddress(destinationPrefix, request.PathBase.Add(request.Path), request.QueryString);
        return ValueTask.CompletedTask;
    }
}
