using Arena.Modules.Messaging.Domain;
using Arena.Modules.Messaging.Persistence;
using Arena.Modules.Messaging.Streaming;
using Arena.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace Arena.Tests.Modules.Messaging.Resume;

/// How long an ended turn stays in memory for resumes, on a clock the test moves. The saves are never flushed here (no
/// database answers), so a turn whose rows would replay it waits for positions that are never stored.
public sealed class LiveTurnsTests : IAsyncDisposable
{
    private static readonly TimeSpan Retention = TimeSpan.FromSeconds(30);

    private readonly FakeTimeProvider clock = new(DateTimeOffset.UtcNow);
    private readonly OwnTelemetry telemetry = new();
    private readonly NpgsqlDataSource nowhere = NpgsqlDataSource.Create("Host=127.0.0.1;Port=9;Username=nobody");
    private readonly LiveTurns turns;

    public LiveTurnsTests()
    {
        var options = Options.Create(new MessagingOptions { LiveTurnRetention = Retention, ResumeRetention = Retention * 10 });
        var saves = new BackgroundSaves(new MessageRows(nowhere), clock, options, NullLogger<BackgroundSaves>.Instance);
        turns = new LiveTurns(saves, clock, options);
    }

    public async ValueTask DisposeAsync()
    {
        await nowhere.DisposeAsync();
        telemetry.Dispose();
    }

    public static TheoryData<bool> Stored => [true, false];

    [Theory]
    [MemberData(nameof(Stored))]
    public async Task Complete_PositionsNeverStored_ForgottenWhenTheRetentionIsOverAndNotBefore(bool finishedStored)
    {
        var session = Guid.CreateVersion7();
        var turn = turns.Begin(Stream(session));
        turn.Append(new StreamStarted(Participant.A, Guid.CreateVersion7(), "mock"));
        turn.Append(new StreamDelta(Participant.A, "one"));
        // Finished and stored, the rows would replay it once its positions are saved, which never happens here; otherwise
        // they never replay it. Either way only the retention lets the turn go.
        turn.Append(new StreamFinished(Participant.A, "stop", null, 5, 50, Stored: finishedStored));
        turns.Complete(turn);

        clock.Advance(Retention - TimeSpan.FromTicks(1));
        Assert.Same(turn, turns.Find(session));

        clock.Advance(TimeSpan.FromTicks(1));
        await Eventually.TrueAsync(() => Task.FromResult(turns.Find(session) is null), "the ended turn was not dropped once the retention was over");
        Assert.True(turn.IsEnded);
    }

    [Fact]
    public async Task Complete_ShorterResumeRetention_ForgottenWhenThatIsOver()
    {
        var options = Options.Create(new MessagingOptions { LiveTurnRetention = Retention, ResumeRetention = Retention / 3 });
        var shorter = new LiveTurns(new BackgroundSaves(new MessageRows(nowhere), clock, options, NullLogger<BackgroundSaves>.Instance), clock, options);
        var session = Guid.CreateVersion7();
        var turn = shorter.Begin(Stream(session));
        turn.Append(new StreamFinished(Participant.A, "stop", null, 5, 50, Stored: false));
        shorter.Complete(turn);

        clock.Advance(Retention / 3 - TimeSpan.FromTicks(1));
        Assert.Same(turn, shorter.Find(session));

        clock.Advance(TimeSpan.FromTicks(1));
        await Eventually.TrueAsync(() => Task.FromResult(shorter.Find(session) is null), "the ended turn outlived the resume retention");
    }

    [Fact]
    public void Begin_RunningTurn_NeverForgottenWhileItRuns()
    {
        var session = Guid.CreateVersion7();
        var turn = turns.Begin(Stream(session));

        clock.Advance(Retention * 100);

        Assert.Same(turn, turns.Find(session));
        Assert.Contains(turn, turns.Running());
    }

    private OpenedStream Stream(Guid session) =>
        new(StreamProtocol.Sse, [new ParticipantPlan(Participant.A, "mock", Guid.CreateVersion7(), [])], telemetry.Trace(), session, Resumable: true);
}
