using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace Arena.Host.Gateway;

/// This process's own listener as seen over loopback, known only once the server has bound its ports (tests listen on port 0).
internal sealed class SelfAddress(IServer server, IOptions<GatewayOptions> options, ILogger<SelfAddress> logger)
{
    private static readonly string[] WildcardHosts = ["+", "*", "0.0.0.0", "localhost"];

    public Uri? Value { get; private set; }

    public event Action? Discovered;

    public void Discover()
    {
        Value = WithTrailingSlash(Parse(options.Value.SelfAddress)
            ?? Pick(server.Features.Get<IServerAddressesFeature>()?.Addresses ?? []));
        if (Value is null)
        {
            logger.LogWarning("The gateway found no HTTP listener to reach the in-process pipelines; set Arena:Gateway:SelfAddress");
            return;
        }

        logger.LogInformation("The gateway reaches the in-process pipelines at {SelfAddress}", Value);
        Discovered?.Invoke();
    }

    internal static Uri? Pick(IEnumerable<string> addresses)
    {
        var loopback = addresses
            .Select(a => BindingAddress.Parse(a))
            .Where(a => !a.IsUnixPipe && !a.IsNamedPipe)
            .OrderBy(a => a.Scheme == Uri.UriSchemeHttp ? 0 : 1)
            .Select(a => new UriBuilder(a.Scheme, LoopbackHost(a.Host), a.Port, a.PathBase).Uri)
            .FirstOrDefault();
        return loopback;
    }

    private static string LoopbackHost(string host) =>
        WildcardHosts.Contains(host, StringComparer.OrdinalIgnoreCase) ? "127.0.0.1"
        : host is "[::]" or "::" ? "[::1]"
        : host;

    /// Destination paths are resolved relative to this address, which drops a last segment not ending in a slash.
    private static Uri? WithTrailingSlash(Uri? address) =>
        address is null || address.AbsolutePath.EndsWith('/') ? address : new Uri(address + "/");

    private static Uri? Parse(string? configured) =>
        string.IsNullOrWhiteSpace(configured) ? null : new Uri(configured, UriKind.Absolute);
}
