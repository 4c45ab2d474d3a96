using System.Collections.Frozen;

namespace Arena.Host.Gateway;

/// The last step of the proxy pipeline: when the destination chosen for a request is one of this process's own pipelines,
/// its Messaging endpoint serves the request right here, on the client's connection, instead of the forwarder sending it
/// over the network to the Host itself. Every other destination goes on to YARP's forwarder.
internal sealed class InProcessDestinations(EndpointDataSource endpoints)
{
    /// In-process destinations still need an absolute Address in YARP's configuration; a reserved name (RFC 6761) that
    /// never resolves, so nothing could ever be sent there over the network. Their health probes never leave the process.
    public const string Host = "in-process.invalid";

    private FrozenDictionary<string, RequestDelegate>? byName;

    public static Uri AddressOf(string pipeline) => new($"http://{Host}/{pipeline}");

    public static bool IsInProcess(Uri? address) => address is not null && string.Equals(address.Host, Host, StringComparison.OrdinalIgnoreCase);

    public Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        var proxy = context.GetReverseProxyFeature();
        if (proxy.AvailableDestinations is not [var destination]
            || destination.Model.Config.Metadata?.TryGetValue(GatewayProxyConfigProvider.InProcessMetadata, out var endpointName) != true)
        {
            return next();
        }

        // What YARP's forwarder would record, so that anything reading the proxy feature afterwards sees who answered.
        proxy.ProxiedDestination = destination;
        return Find(endpointName!)(context);
    }

    /// Looked up once: the Messaging endpoints are mapped at start-up and never change, unlike YARP's own data source.
    private RequestDelegate Find(string name)
    {
        byName ??= endpoints.Endpoints
            .Where(e => e.RequestDelegate is not null && e.Metadata.GetMetadata<IEndpointNameMetadata>() is not null)
            .ToFrozenDictionary(e => e.Metadata.GetMetadata<IEndpointNameMetadata>()!.EndpointName, e => e.RequestDelegate!, StringComparer.Ordinal);
        return byName.TryGetValue(name, out var handler)
            ? handler
            : throw new InvalidOperationException($"No endpoint named '{name}' serves the in-process pipeline; the Messaging module maps it.");
    }
}
