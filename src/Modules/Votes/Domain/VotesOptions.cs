using System.ComponentModel.DataAnnotations;

namespace Arena.Modules.Votes.Domain;

/// Bound from <c>Arena:Battles</c>, but for the draw's <c>DistinctProviders</c>, which Sessions binds.
internal sealed class BattlesOptions
{
    public const string SectionName = "Arena:Battles";

    [Range(0, 1_000_000)]
    public int MaxVotesPerUserPerDay { get; set; } = 200;

    /// A vote cast sooner than this after the last reply ended is void as too fast.
    public TimeSpan MinReadingTime { get; set; } = TimeSpan.FromSeconds(2);

    /// The key of the judge's hash in the export. Without one, a key made at start-up serves until the process ends.
    public string? JudgeHashKey { get; set; }
}

/// Bound from <c>Arena:Leaderboard</c>.
internal sealed class LeaderboardOptions
{
    public const string SectionName = "Arena:Leaderboard";

    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(30);

    [Range(200, 100_000)]
    public int BootstrapResamples { get; set; } = 200;

    public int BootstrapSeed { get; set; } = 20_240_501;

    /// How many start dates (`since`) are stored and kept fresh besides the whole history; past it, the one asked for
    /// least recently gives way to a new one.
    [Range(0, 1000)]
    public int MaxSinceSnapshots { get; set; } = 16;

    /// A stored start date asked for or computed within this time does not give way to a new one (which is refused with
    /// 503 and a true Retry-After instead), so that a burst of new dates cannot evict what its own clients still wait for.
    public TimeSpan SinceSnapshotMinimumLife { get; set; } = TimeSpan.FromMinutes(1);
}
