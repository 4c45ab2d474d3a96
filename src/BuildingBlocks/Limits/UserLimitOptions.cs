using System.ComponentModel.DataAnnotations;

namespace Arena.BuildingBlocks.Limits;

/// Bound from <c>Arena:Limits</c>, once for the two places that enforce them: the Host's rate limiter and header check,
/// before anything is stored, and Messaging's admission of a turn, counted from the stored rows so that the limits hold
/// however many instances serve one user.
public sealed class UserLimitOptions
{
    public const string Section = "Arena:Limits";

    /// Streams one user may have open at once, counted over the turns admitted: a request that its session refuses
    /// holds no slot.
    [Range(1, 10_000)]
    public int StreamsPerUser { get; set; } = 8;

    /// Stream requests one user may start per minute in this process, accepted or not, and turns over every instance.
    [Range(1, 1_000_000)]
    public int StreamRequestsPerMinute { get; set; } = 120;

    /// Off, each process counts only its own: the open streams it admitted and its rate limiter's minute. For a single
    /// instance, or a load test whose traffic is one user (the count and the per-user lock then cost a database its
    /// throughput for nothing).
    public bool AcrossInstances { get; set; } = true;

    /// Headers larger than this in total answer 431 problem+json; Kestrel's own limit is set above it so that the
    /// answer is ours and not its bare 431.
    [Range(1024, 1024 * 1024)]
    public int MaxRequestHeadersTotalSize { get; set; } = 32 * 1024;
}
