using Arena.Modules.Votes.Domain;

namespace Arena.Tests.Modules.Votes;

public sealed class VoteRulesTests
{
    private static readonly DateTimeOffset Ended = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);

    private static SideOutcome Side(string status = "success") => new(status, 100, 900, 50, Ended);

    private static VoteFacts Facts(TurnOutcome[]? turns = null, bool anonymous = true, bool leak = false, int earlier = 0, double readSeconds = 10) =>
        new(anonymous, turns ?? [new(Side(), Side())], leak, earlier, 5, Ended.AddSeconds(readSeconds), TimeSpan.FromSeconds(3));

    [Fact]
    public void Decide_CleanBattle_Counts() => Assert.Equal(Validity.Counted, VoteRules.Decide(Facts()));

    [Theory]
    [InlineData("error")]
    [InlineData("cancelled")]
    [InlineData("interrupted")]
    public void Decide_ASideOfAnyTurnNotSuccessful_IsVoidSideFailed(string status) =>
        Assert.Equal(Validity.SideFailed, VoteRules.Decide(Facts([new(Side(), Side()), new(Side(), Side(status))])));

    [Fact]
    public void Decide_IdentityLeak_IsVoid() => Assert.Equal(Validity.IdentityLeak, VoteRules.Decide(Facts(leak: true)));

    [Fact]
    public void Decide_WithinReadingTime_IsVoidTooFast() => Assert.Equal(Validity.TooFast, VoteRules.Decide(Facts(readSeconds: 1)));

    [Fact]
    public void Decide_PastDailyLimit_IsVoidDailyLimit()
    {
        Assert.Equal(Validity.Counted, VoteRules.Decide(Facts(earlier: 4)));
        Assert.Equal(Validity.DailyLimit, VoteRules.Decide(Facts(earlier: 5)));
    }

    [Fact]
    public void Decide_CompareSession_NeverCounts() => Assert.Equal(Validity.NotAnonymous, VoteRules.Decide(Facts(anonymous: false)));

    [Fact]
    public void Decide_SeveralReasons_StoresTheMostBasic() =>
        Assert.Equal(Validity.SideFailed, VoteRules.Decide(Facts([new(Side("error"), Side())], leak: true, earlier: 9, readSeconds: 0)));

    [Fact]
    public void Blocker_StreamingOrNoFinishedTurn_RefusesTheVote()
    {
        Assert.NotNull(VoteRules.Blocker([new(Side(), Side())], anyStreaming: true));
        Assert.NotNull(VoteRules.Blocker([], anyStreaming: false));
        Assert.Null(VoteRules.Blocker([new(Side(), Side())], anyStreaming: false));
    }
}
