namespace Arena.Modules.Votes.Domain;

/// A computed leaderboard for one combination of control and start date, served as stored.
internal sealed class LeaderboardSnapshot
{
    public required string Key { get; init; }

    /// The serialized leaderboard, without the min_votes filter, which is applied on reading.
    public string? Body { get; set; }

    /// The newest counted vote the snapshot includes; a newer one makes it stale.
    public DateTimeOffset? IncludesVotesUntil { get; set; }

    public DateTimeOffset? ComputedAt { get; set; }

    /// When a reader last asked for it: keys nobody asks for any more stop being refreshed.
    public DateTimeOffset RequestedAt { get; set; }
}
