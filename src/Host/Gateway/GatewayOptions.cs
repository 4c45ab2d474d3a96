namespace Arena.Host.Gateway;

/// The migration knobs under Arena:Gateway. All are read live, so editing configuration reroutes without a restart.
internal sealed class GatewayOptions
{
    public const string Section = "Arena:Gateway";

    /// Percent (0..100) of chat sessions sent to the streaming pipeline; the rest go to legacy.
    public int StreamingShare { get; set; }

    public bool AllowOverrideHeader { get; set; }

    /// Idle time allowed between two reads or writes of a proxied stream; slow first tokens need minutes, not the proxy's 100 s default.
    public TimeSpan ActivityTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// Upper bound on the bytes of request body scanned for the top-level session_id, wherever it appears; the server's
    /// request body limit caps it too. Kestrel's default body limit, so that every body the pipelines accept routes by session.
    public int SessionIdScanLimit { get; set; } = 30_000_000;

    public GatewayDestinations Destinations { get; set; } = new();

    public GatewayHealthCheckOptions HealthCheck { get; set; } = new();
}
