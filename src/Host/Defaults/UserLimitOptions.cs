using System.ComponentModel.DataAnnotations;

namespace Arena.Host.Defaults;

/// Per-user limits on stream requests, enforced by this process before anything is stored (section Arena:Limits; the
/// open-streams limit of the same section is Messaging's, counted where turns are admitted).
internal sealed class UserLimitOptions
{
    public const string Section = "Arena:Limits";

    /// Stream requests one user may start per minute in this process, accepted or not.
    [Range(1, 1_000_000)]
    public int StreamRequestsPerMinute { get; set; } = 120;

    /// Headers larger than this in total answer 431 problem+json; Kestrel's own limit is set above it so that the
    /// answer is ours and not its bare 431.
    [Range(1024, 1024 * 1024)]
    public int MaxRequestHeadersTotalSize { get; set; } = 32 * 1024;
}
