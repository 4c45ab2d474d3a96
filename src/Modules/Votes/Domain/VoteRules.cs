namespace Arena.Modules.Votes.Domain;

internal enum Winner
{
    A,
    B,

    /// Participants c and d exist only in compare sessions of three or four models.
    C,
    D,
    Tie,
    BothBad,

    /// None of three or four was good: both_bad said of more than two.
    AllBad,
}

/// Why a vote does or does not count; stored as its snake_case name.
internal enum Validity
{
    Counted,
    NotAnonymous,
    SideFailed,
    IdentityLeak,
    TooFast,
    DailyLimit,
}

/// One side of one turn as the vote sees it.
internal sealed record SideOutcome(string Status, long? TtftMs, long? DurationMs, long? OutputTokens, DateTimeOffset EndedAt);

internal sealed record TurnOutcome(SideOutcome A, SideOutcome B);

internal sealed record VoteFacts(
    bool Anonymous,
    IReadOnlyList<TurnOutcome> Turns,
    bool IdentityLeak,
    int VotesEarlierToday,
    int MaxVotesPerDay,
    DateTimeOffset CastAt,
    TimeSpan MinReadingTime);

internal static class VoteRules
{
    public const string Streaming = "streaming";

    /// Why a vote cannot be cast yet, or <c>null</c> when it can: no reply may be streaming and at least one turn must
    /// have ended on both sides.
    public static string? Blocker(IReadOnlyList<TurnOutcome> turns, bool anyStreaming)
    {
        if (anyStreaming)
        {
            return "A reply is still streaming; vote once it has ended.";
        }

        return turns.Count == 0 ? "Vote after at least one prompt was answered on both sides." : null;
    }

    /// Checked in this order, so the stored reason is the most basic one: a failed side makes the other checks moot.
    public static Validity Decide(VoteFacts facts)
    {
        if (!facts.Anonymous)
        {
            return Validity.NotAnonymous;
        }

        if (facts.Turns.Any(t => !Succeeded(t.A) || !Succeeded(t.B)))
        {
            return Validity.SideFailed;
        }

        if (facts.IdentityLeak)
        {
            return Validity.IdentityLeak;
        }

        var lastEnd = facts.Turns.SelectMany(t => new[] { t.A.EndedAt, t.B.EndedAt }).Max();
        if (facts.CastAt - lastEnd < facts.MinReadingTime)
        {
            return Validity.TooFast;
        }

        return facts.VotesEarlierToday >= facts.MaxVotesPerDay ? Validity.DailyLimit : Validity.Counted;
    }

    // A reply cut at the token limit is a complete answer for judging; anything else but success is a failed side.
    private static bool Succeeded(SideOutcome side) => side.Status == "success";
}
