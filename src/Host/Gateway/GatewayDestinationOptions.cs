namespace Arena.Host.Gateway;

internal sealed class GatewayDestinationOptions
{
    /// Base address the request path after /api is appended to, e.g. http://old-service:8001/api; the in-process pipeline when empty.
    public string? Address { get; set; }

    /// Health probe URL of an external destination, absolute or a path on its origin (/health when empty). An in-process
    /// destination is not probed over the network: it is as healthy as this process's readiness checks.
    public string? Health { get; set; }
}
