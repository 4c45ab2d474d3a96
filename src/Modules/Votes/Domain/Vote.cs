using System.Text.Json.Serialization;

namespace Arena.Modules.Votes.Domain;

internal sealed class Vote
{
    public const string OnePerSessionIndex = "ix_votes_session_id";

    public Guid Id { get; init; }

    public Guid SessionId { get; init; }

    /// The judge's subject, for the daily limit; never exported.
    public required string OwnerId { get; init; }

    /// The judge as exported: a keyed hash of the subject, stable for one key.
    public required string JudgeHash { get; init; }

    public required string ModelA { get; init; }

    public required string ModelB { get; init; }

    /// Participant c's and d's models, in a compare session of three or four; such a vote never counts.
    public string? ModelC { get; init; }

    public string? ModelD { get; init; }

    public Winner Winner { get; init; }

    /// False for compare sessions, whose models the judge chose and saw.
    public bool Anonymous { get; init; }

    public Validity Validity { get; init; }

    public int Turns { get; init; }

    /// Serialized <see cref="VoteTurn"/> list: per turn, each side's status, time to first chunk, duration and output tokens.
    public required string Sides { get; init; }

    /// Output tokens of side a over all turns: the length covariate of the leaderboard.
    public long OutputTokensA { get; init; }

    public long OutputTokensB { get; init; }

    public DateTimeOffset CreatedAt { get; init; }
}

internal sealed record VoteSide(string Status, long? TtftMs, long? DurationMs, long? OutputTokens);

/// Sides c and d are left out of the JSON when the session had two participants, so that its stored turns read as before.
internal sealed record VoteTurn(
    VoteSide A,
    VoteSide B,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] VoteSide? C = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] VoteSide? D = null);
