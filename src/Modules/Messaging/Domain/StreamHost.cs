namespace Arena.Modules.Messaging.Domain;

/// A running process that streams replies. Its heartbeat is its lease on the replies it marked <c>streaming</c>:
/// once the heartbeat lapses, any instance may declare those replies interrupted.
internal sealed class StreamHost
{
    public Guid Id { get; init; }

    public DateTimeOffset StartedAt { get; init; }

    public DateTimeOffset HeartbeatAt { get; set; }

    /// Where other instances reach this one's API (scheme, host and port), to forward a resume of a turn it generates.
    public string? Address { get; set; }
}
