namespace Arena.Host.Defaults;

/// Arena:Telemetry:Metrics. The scrape endpoint never asks for the API's bearer token (Prometheus has none); an operator
/// who does not want it public moves it to a port that only the scraper reaches, or lists the networks allowed to read it.
internal sealed class MetricsEndpointOptions
{
    public const string Section = "Arena:Telemetry:Metrics";

    public bool Enabled { get; set; } = true;

    public string Path { get; set; } = "/metrics";

    /// When set, /metrics answers only on this local port (add it to Urls); on any other port it is an unknown path.
    public int? Port { get; set; }

    /// CIDR blocks ("10.0.0.0/8", "127.0.0.1/32"); when any is set, a scrape from elsewhere is refused with 403.
    public List<string> AllowedNetworks { get; set; } = [];
}
