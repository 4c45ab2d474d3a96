using Arena.Host.Defaults;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;

namespace Arena.Host.Gateway;

/// One route (the public stream API) and one cluster (the two pipelines), rebuilt whenever Arena:Gateway changes. The share
/// and the override switch are read per request instead, so they need no rebuild.
internal sealed class GatewayProxyConfigProvider : IProxyConfigProvider, IDisposable
{
    public const string RouteId = "arena-gateway-stream";
    public const string ClusterId = "arena-gateway-pipelines";
    /// Destination metadata naming the Messaging endpoint that serves an in-process destination.
    public const string InProcessMetadata = "Arena.InProcessEndpoint";
    public const string StreamPath = "/api/messages/stream";

    private readonly IOptionsMonitor<GatewayOptions> options;
    private readonly ILogger<GatewayProxyConfigProvider> logger;
    private readonly IDisposable? subscription;
    private readonly Lock gate = new();
    private Snapshot current;

    public GatewayProxyConfigProvider(IOptionsMonitor<GatewayOptions> options, ILogger<GatewayProxyConfigProvider> logger)
    {
        this.options = options;
        this.logger = logger;
        current = Build();
        subscription = options.OnChange(_ => Refresh());
    }

    public IProxyConfig GetConfig() => current;

    public void Dispose() => subscription?.Dispose();

    private void Refresh()
    {
        Snapshot previous;
        lock (gate)
        {
            previous = current;
            try
            {
                current = Build();
            }
            catch (Exception exception) when (exception is UriFormatException or InvalidOperationException)
            {
                // A typo in a live-edited file must not take the stream API down: keep routing with the last good configuration.
                logger.LogError(exception, "Invalid {Section} configuration; the gateway keeps its previous destinations", GatewayOptions.Section);
                return;
            }
        }

        previous.Expire();
    }

    private Snapshot Build()
    {
        var settings = options.CurrentValue;
        var destinations = new Dictionary<string, DestinationConfig>(StringComparer.OrdinalIgnoreCase);
        foreach (var pipeline in new[] { Pipelines.Streaming, Pipelines.Legacy })
        {
            destinations[pipeline] = Destination(pipeline, settings.Destinations.For(pipeline));
        }

        var route = new RouteConfig
        {
            RouteId = RouteId,
            ClusterId = ClusterId,
            // Wins over any direct mapping of the same path left in a module while the migration is in progress.
            Order = -1,
            AuthorizationPolicy = ServiceDefaults.ApiPolicy,
            Match = new RouteMatch { Path = StreamPath, Methods = [HttpMethods.Post] },
        };
        var health = settings.HealthCheck;
        var cluster = new ClusterConfig
        {
            ClusterId = ClusterId,
            Destinations = destinations,
            HttpRequest = new ForwarderRequestConfig { ActivityTimeout = settings.ActivityTimeout, AllowResponseBuffering = false },
            HealthCheck = new HealthCheckConfig
            {
                Active = new ActiveHealthCheckConfig
                {
                    Enabled = health.Enabled,
                    Interval = health.Interval,
                    Timeout = health.Timeout,
                    Policy = "ConsecutiveFailures",
                },
            },
            Metadata = new Dictionary<string, string>
            {
                ["ConsecutiveFailuresHealthPolicy.Threshold"] = Math.Max(1, health.ConsecutiveFailures).ToString(System.Globalization.CultureInfo.InvariantCulture),
            },
        };
        return new Snapshot([route], [cluster]);
    }

    private static DestinationConfig Destination(string pipeline, GatewayDestinationOptions destination)
    {
        if (!string.IsNullOrWhiteSpace(destination.Address))
        {
            var address = new Uri(destination.Address, UriKind.Absolute);
            return new DestinationConfig
            {
                Address = address.ToString(),
                Health = ResolveHealth(address, HealthOr(destination, "/health")).ToString(),
            };
        }

        return new DestinationConfig
        {
            Address = InProcessDestinations.AddressOf(pipeline).ToString(),
            Metadata = new Dictionary<string, string> { [InProcessMetadata] = Pipelines.EndpointName(pipeline) },
        };
    }

    private static string HealthOr(GatewayDestinationOptions destination, string fallback) =>
        string.IsNullOrWhiteSpace(destination.Health) ? fallback : destination.Health;

    private static Uri ResolveHealth(Uri destination, string health) =>
        Uri.TryCreate(health, UriKind.Absolute, out var absolute) && absolute.Scheme is "http" or "https"
            ? absolute
            : new Uri(new Uri(destination.GetLeftPart(UriPartial.Authority)), health);

    private sealed class Snapshot : IProxyConfig
    {
        private readonly CancellationTokenSource expired = new();

        public Snapshot(IReadOnlyList<RouteConfig> routes, IReadOnlyList<ClusterConfig> clusters)
        {
            Routes = routes;
            Clusters = clusters;
            // Taken once: the source is disposed on expiry, and its Token getter would throw for YARP reading it late.
            ChangeToken = new CancellationChangeToken(expired.Token);
        }

        public string RevisionId { get; } = Guid.NewGuid().ToString("N");

        public IReadOnlyList<RouteConfig> Routes { get; }

        public IReadOnlyList<ClusterConfig> Clusters { get; }

        public IChangeToken ChangeToken { get; }

        /// Registering on the token of a cancelled, disposed source still runs the callback at once, so late readers are safe.
        public void Expire()
        {
            expired.Cancel();
            expired.Dispose();
        }
    }
}
