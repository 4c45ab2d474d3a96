using System.ComponentModel.DataAnnotations;

namespace Arena.Modules.Messaging.Domain;

/// Bound from <c>Arena:Messaging</c>.
internal sealed class MessagingOptions
{
    public const string SectionName = "Arena:Messaging";

    [Range(1, 10_000_000)]
    public int MaxContentLength { get; set; } = 32_000;

    /// How many characters of earlier conversation (newest first) each participant receives with a new turn.
    [Range(0, 10_000_000)]
    public int HistoryBudget { get; set; } = 48_000;

    /// How often the partial content of streaming replies is copied to the database, one statement for all of them.
    /// A crash loses at most about two intervals of a reply's text (the lease recovery keeps the last copy); saving
    /// more often costs one statement per interval per process, not per stream.
    public TimeSpan PartialFlushInterval { get; set; } = TimeSpan.FromSeconds(2);

    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// How many legacy streams may run at once, like the old service's worker pool: each holds three dedicated threads
    /// (one writing the response, one per participant). Past it the legacy pipeline answers 503 before anything is stored.
    [Range(1, 100_000)]
    public int LegacyMaxConcurrentStreams { get; set; } = 64;

    /// The share of the legacy pool one user may hold at once (at least one slot), so one user cannot take them all.
    [Range(1, 100)]
    public int LegacyUserSharePercent { get; set; } = 25;

    /// How often this process renews its lease on the replies it streams, and sweeps replies whose host stopped renewing.
    public TimeSpan StreamHostHeartbeat { get; set; } = TimeSpan.FromSeconds(5);

    /// A host silent this long is taken for dead: its streaming replies become interrupted. Several heartbeats long,
    /// so that a slow database round trip does not cost a live stream its row.
    public TimeSpan StreamHostLease { get; set; } = TimeSpan.FromSeconds(20);

    /// Bounds the last writes of a stream, which must run even after the client went away.
    public TimeSpan FinalWriteTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
