namespace Arena.Host.Gateway;

internal static class RoutingReason
{
    /// The session's place against the configured share.
    public const string Share = "share";

    /// No readable session_id: a random place against the share.
    public const string Random = "random";

    public const string Override = "override";

    /// The turn asks to be resumable, which only the streaming pipeline runs: the share does not apply.
    public const string Resumable = "resumable";

    /// The chosen destination failed its health checks; the other one took the request.
    public const string Failover = "failover";
}
