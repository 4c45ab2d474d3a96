using System.Text.Json;

namespace Arena.Modules.Votes.Features.Leaderboard;

internal sealed record LeaderboardDocument(
    DateTimeOffset ComputedAt,
    string Control,
    DateOnly? Since,
    int? MinVotes,
    long CountedVotes,
    string Method,
    string Anchoring,
    string Intervals,
    int BootstrapResamples,
    double? LengthCoefficient,
    double? LengthCoefficientLower,
    double? LengthCoefficientUpper,
    IReadOnlyList<LeaderboardRow> Models)
{
    public const string MethodText = "Bradley-Terry maximum likelihood on counted anonymous votes; ties and both-bad count half a win for each side; ridge prior of precision 0.01 on each strength.";
    public const string AnchoringText = "rating = 1000 + 400/ln(10) * strength; the prior centres the strengths at mean zero, so 1000 is the average of the rated models.";
    public const string IntervalsText = "95% percentile intervals from a seeded Poisson bootstrap over battles.";

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.General) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
}

internal sealed record LeaderboardRow(
    string Model,
    double Rating,
    double RatingLower,
    double RatingUpper,
    int Rank,
    int RankUpperBound,
    long Votes,
    long Wins,
    long Ties,
    long Losses,
    ModelSpeedRow? Speed);

internal sealed record ModelSpeedRow(long Replies, double? TtftMedianMs, double? TtftP90Ms, double? OutputTokensPerSecondMedian, double ErrorRate);
