using Arena.Modules.Providers.Streaming;
using Microsoft.Extensions.Time.Testing;

namespace Arena.Tests.Modules.Providers;

/// The first-chunk and idle deadline of a provider stream, on a clock the test moves.
public sealed class StreamDeadlineTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(10);

    private readonly FakeTimeProvider clock = new();

    [Fact]
    public void Arm_QuietForTheWholeLimit_Cancels()
    {
        using var deadline = new StreamDeadline(CancellationToken.None, clock);
        deadline.Arm(Limit);

        clock.Advance(Limit - TimeSpan.FromTicks(1));
        Assert.False(deadline.IsCancellationRequested);
        clock.Advance(TimeSpan.FromTicks(1));
        Assert.True(deadline.IsCancellationRequested);
        Assert.True(deadline.Token.IsCancellationRequested);
    }

    [Fact]
    public void Progress_BeforeTheLimit_CountsTheLimitFromTheLastProgress()
    {
        using var deadline = new StreamDeadline(CancellationToken.None, clock);
        deadline.Arm(Limit);

        clock.Advance(Limit * 0.6);
        deadline.Progress();
        clock.Advance(Limit * 0.6);
        Assert.False(deadline.IsCancellationRequested);
        clock.Advance(Limit * 0.4);
        Assert.True(deadline.IsCancellationRequested);
    }

    [Fact]
    public void Arm_AgainWithTheIdleLimit_CountsFromTheSecondArm()
    {
        using var deadline = new StreamDeadline(CancellationToken.None, clock);
        deadline.Arm(Limit);
        clock.Advance(Limit / 2);

        deadline.Arm(Limit * 2);
        clock.Advance(Limit * 1.5);

        Assert.False(deadline.IsCancellationRequested);
        clock.Advance(Limit / 2);
        Assert.True(deadline.IsCancellationRequested);
    }

    [Fact]
    public void Arm_Infinite_NeverCancels()
    {
        using var deadline = new StreamDeadline(CancellationToken.None, clock);
        deadline.Arm(Limit);

        deadline.Arm(Timeout.InfiniteTimeSpan);
        clock.Advance(Limit * 100);

        Assert.False(deadline.IsCancellationRequested);
    }

    [Fact]
    public void Token_CallerCancels_CancelsWithoutTheClock()
    {
        using var caller = new CancellationTokenSource();
        using var deadline = new StreamDeadline(caller.Token, clock);
        deadline.Arm(Limit);

        caller.Cancel();

        Assert.True(deadline.Token.IsCancellationRequested);
    }

    [Fact]
    public void Dispose_ArmedDeadline_LaterTimeCancelsNothing()
    {
        var deadline = new StreamDeadline(CancellationToken.None, clock);
        deadline.Arm(Limit);
        var token = deadline.Token;

        deadline.Dispose();
        clock.Advance(Limit * 2);

        Assert.False(token.IsCancellationRequested);
    }
}
