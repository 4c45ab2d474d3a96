namespace Arena.Host.Gateway;

internal sealed class GatewayDestinationOptions
{
    /// Base address the request path after /api is appended to, e.g. http://old-service:8001/api; the in-process pipeline when empty.
    public string? Address { get; set; }

    /// Health probe URL, absolute or a path on the destination's origin; /health/ready of this process for in-process, /health otherwise.
    public string? Health { get; set; }
}
