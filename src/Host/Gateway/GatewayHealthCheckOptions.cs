namespace Arena.Host.Gateway;

internal sealed class GatewayHealthCheckOptions
{
    public bool Enabled { get; set; } = true;

    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(10);

    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);

    /// Failed probes in a row before a destination leaves rotation; one good probe brings it back.
    public int ConsecutiveFailures { get; set; } = 2;
}
