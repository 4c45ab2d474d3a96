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
    public TimeSpan PartialFlushInterval { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// How many legacy streams may run at once, like the old service's worker pool: each holds a dedicated thread per
    /// participant and one writing the response. Past it the legacy pipeline
    /// answers 503 before anything is stored.
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

    /// Bounds each attempt of the last writes of a stream, which must run even after the client went away.
    public TimeSpan FinalWriteTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// How long a participant's finish event waits for its final write: past it the event says <c>stored: false</c>
    /// and the write goes on being retried in the background. Short, because the client has the whole reply already.
    public TimeSpan FinalWriteWait { get; set; } = TimeSpan.FromSeconds(2);

    /// On SIGTERM: how long running streams get to end by themselves once the instance stopped taking new ones; those
    /// still running then end with an error <c>shutdown</c> and are stored as <c>interrupted</c>. The host's shutdown
    /// timeout is raised above it (plus <see cref="FinalWriteTimeout"/> for the last writes).
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// Whether a stream request that does not say <c>resumable</c> is resumable: its generation then outlives a client
    /// that disconnects, for <see cref="ResumeGrace"/>.
    public bool ResumableByDefault { get; set; }

    /// How long a resumable turn keeps generating with no client attached before it is cancelled as a disconnect would.
    public TimeSpan ResumeGrace { get; set; } = TimeSpan.FromMinutes(2);

    /// How long after a turn ended a resume still replays it; after that it answers 204.
    public TimeSpan ResumeRetention { get; set; } = TimeSpan.FromMinutes(5);

    /// How long this process keeps an ended turn's events in memory (at most <see cref="ResumeRetention"/>), so that a client
    /// reconnecting right after a drop gets them without a database read; later resumes replay the stored rows, whose
    /// positions give the same events and ids. A turn the rows replay exactly leaves sooner, once its positions are
    /// stored (see <c>LiveTurn.ReplaysFromRows</c>). Short, because every ended turn is kept until then: when ended turns
    /// stayed for the whole resume window with their histories, the live heap grew with the rate of turns for all of that
    /// window.
    public TimeSpan LiveTurnRetention { get; set; } = TimeSpan.FromSeconds(30);

    /// The most events a resumable turn keeps in memory, for its clients and resumes; a longer one ends as stopped. A turn
    /// that is not resumable is not held to it: its client reads it through the same buffer, which holds no more than the
    /// reply itself.
    [Range(16, 10_000_000)]
    public int ResumeBufferEvents { get; set; } = 100_000;

    /// How the other instances reach this one (for example <c>http://arena-2:8080</c>), recorded with its stream lease so
    /// that a resume reaching another instance is forwarded here. Empty: the first address the server listens on.
    public string? InstanceAddress { get; set; }
}
