using System.ComponentModel.DataAnnotations;

namespace Arena.Modules.Messaging.Domain;

/// The per-user limits as every instance sharing the database enforces them when a turn starts (section Arena:Limits,
/// the same settings the Host's per-process rate limiter reads). Counted from the stored rows, so they hold however
/// many instances serve one user: running turns, and turns started in the last minute.
internal sealed class OwnerLimitOptions
{
    public const string Section = "Arena:Limits";

    [Range(1, 10_000)]
    public int StreamsPerUser { get; set; } = 8;

    [Range(1, 1_000_000)]
    public int StreamRequestsPerMinute { get; set; } = 120;

    /// Off, each process counts only its own: the open streams it admitted and its rate limiter's minute. For a single
    /// instance, or a load test whose traffic is one user (the count and the per-user lock then cost a database its
    /// throughput for nothing).
    public bool AcrossInstances { get; set; } = true;
}
