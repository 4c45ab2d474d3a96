using Arena.Modules.Messaging.Domain;
using Arena.Modules.Messaging.Streaming;
using Microsoft.Extensions.Time.Testing;

namespace Arena.Tests.Modules.Messaging.Resume;

/// The turn's event buffer grows in segments of doubling size; every position must still read back the event stored there.
/// An ended turn says whether its stored rows would replay it exactly, so that it can leave memory once they are stored.
/// A resumable turn left without a client stops once its grace is over, on a clock the test moves.
public sealed class LiveTurnTests : IDisposable
{
    private static readonly TimeSpan Grace = TimeSpan.FromMinutes(1);

    private readonly FakeTimeProvider clock = new();
    private readonly OwnTelemetry telemetry = new();

    public void Dispose() => telemetry.Dispose();

    [Fact]
    public void Append_ThousandsOfEvents_EachReadsBackAtItsPosition()
    {
        using var turn = NewTurn(limit: 100_000);
        const int count = 5_000;
        for (var i = 0; i < count; i++)
        {
            turn.Append(new StreamDelta(Participant.A, i.ToString()));
        }

        Assert.Equal(count, turn.Count);
        for (var i = 0; i < count; i++)
        {
            Assert.Equal(i.ToString(), Assert.IsType<StreamDelta>(turn[i]).Content);
        }
    }

    [Fact]
    public void Append_PastTheLimit_KeepsTheFirstEventsAndStillClosesWithTheParticipantsEnd()
    {
        using var turn = NewTurn(limit: 40);
        for (var i = 0; i < 60; i++)
        {
            turn.Append(new StreamDelta(Participant.A, i.ToString()));
        }

        Assert.True(turn.Overflowed);
        Assert.Equal(40, turn.Count);
        Assert.Equal("39", Assert.IsType<StreamDelta>(turn[39]).Content);

        Assert.Equal(1, turn.Close());
        Assert.Equal(41, turn.Count);
        Assert.Equal(Participant.A, Assert.IsType<StreamFailed>(turn[40]).Participant);
    }

    [Fact]
    public void Append_NotResumablePastTheLimit_KeepsEveryEventForItsClient()
    {
        using var turn = NewTurn(limit: 40, resumable: false);
        for (var i = 0; i < 60; i++)
        {
            turn.Append(new StreamDelta(Participant.A, i.ToString()));
        }

        Assert.False(turn.Overflowed);
        Assert.False(turn.Token.IsCancellationRequested);
        Assert.Equal(60, turn.Count);
        Assert.Equal("59", Assert.IsType<StreamDelta>(turn[59]).Content);
    }

    [Fact]
    public void ReplaysFromRows_TextFinishedAndStored_True()
    {
        using var turn = NewTurn(limit: 100);
        AppendReply(turn, new StreamFinished(Participant.A, "stop", null, 5, 50, Stored: true));
        turn.Close();

        Assert.True(turn.ReplaysFromRows());
    }

    [Fact]
    public void ReplaysFromRows_ReasoningAndToolCallsFinishedAndStored_TrueAndPositionedByKind()
    {
        using var turn = NewTurn(limit: 100);
        turn.Append(new StreamStarted(Participant.A, Guid.CreateVersion7(), "mock"));
        turn.Append(new StreamReasoning(Participant.A, "think "));
        turn.Append(new StreamDelta(Participant.A, "one "));
        turn.Append(new StreamReasoning(Participant.A, "again"));
        turn.Append(new StreamToolCall(Participant.A, "call_1", "lookup", "{}"));
        turn.Append(new StreamDelta(Participant.A, "two"));
        turn.Append(new StreamToolCall(Participant.A, "call_2", "fetch", "{\"a\":1}"));
        turn.Append(new StreamFinished(Participant.A, "tool_calls", null, 5, 50, Stored: true));
        turn.Close();

        Assert.True(turn.ReplaysFromRows());
        var positions = Assert.Single(turn.Positions()!).Value;
        Assert.Equal(1, positions.Start);
        Assert.Equal(new long[][] { [3, 4], [6, 7] }, positions.Deltas);
        Assert.Equal(new long[][] { [2, 6], [4, 11] }, positions.Reasoning!);
        Assert.Equal(new long[] { 5, 7 }, positions.ToolCalls!);
        Assert.Equal(8, positions.End);
        Assert.Equal(9, positions.Done);
    }

    [Fact]
    public void Positions_TextOnly_SerializeWithoutReasoningOrToolCalls()
    {
        using var turn = NewTurn(limit: 100);
        AppendReply(turn, new StreamFinished(Participant.A, "stop", null, 5, 50, Stored: true));
        turn.Close();

        var json = Assert.Single(turn.Positions()!).Value.Serialize();

        // The rows stored before reasoning had positions read the same way as these.
        Assert.Equal("{\"start\":1,\"deltas\":[[2,4],[3,7]],\"error\":null,\"end\":4,\"done\":5}", json);
        Assert.Equal(Assert.Single(turn.Positions()!).Value.Deltas, ReplyPositions.Deserialize(json)!.Deltas);
    }

    public static TheoryData<string> WhatTheRowsCannotReplay => ["not stored", "failed", "stopped", "overflowed"];

    [Theory]
    [MemberData(nameof(WhatTheRowsCannotReplay))]
    public void ReplaysFromRows_AnythingTheRowsReplayDifferently_False(string what)
    {
        using var turn = NewTurn(limit: what == "overflowed" ? 2 : 100);
        turn.Append(new StreamStarted(Participant.A, Guid.CreateVersion7(), "mock"));
        turn.Append(new StreamDelta(Participant.A, "one "));
        if (what == "failed")
        {
            turn.Append(new StreamFailed(Participant.A, "provider_error", "The provider failed."));
        }

        turn.Append(new StreamDelta(Participant.A, "two"));
        if (what != "stopped")
        {
            turn.Append(new StreamFinished(Participant.A, "stop", null, 5, 50, Stored: what != "not stored"));
        }

        turn.Close();

        Assert.False(turn.ReplaysFromRows());
    }

    [Fact]
    public void Grace_LastClientLeftAndGraceOver_StopsTheTurn()
    {
        using var turn = NewTurn(limit: 100);
        turn.Attach();
        turn.Detach();

        clock.Advance(Grace - TimeSpan.FromTicks(1));
        Assert.False(turn.Token.IsCancellationRequested);
        clock.Advance(TimeSpan.FromTicks(1));
        Assert.True(turn.Token.IsCancellationRequested);
    }

    [Fact]
    public void Grace_ClientBackBeforeItIsOver_KeepsTheTurnRunning()
    {
        using var turn = NewTurn(limit: 100);
        turn.Attach();
        turn.Detach();
        clock.Advance(Grace / 2);

        turn.Attach();
        AssertRunningLongPastTheGrace(turn);

        turn.Detach();
        clock.Advance(Grace);
        Assert.True(turn.Token.IsCancellationRequested);
    }

    [Fact]
    public void Grace_OneOfTwoClientsLeft_KeepsTheTurnRunning()
    {
        using var turn = NewTurn(limit: 100);
        turn.Attach();
        turn.Attach();

        turn.Detach();
        AssertRunningLongPastTheGrace(turn);
    }

    [Fact]
    public void Grace_NotResumable_NeverStopsTheTurn()
    {
        using var turn = NewTurn(limit: 100, resumable: false);
        turn.Attach();
        turn.Detach();

        AssertRunningLongPastTheGrace(turn);
    }

    [Fact]
    public void Grace_EndedTurnLeftByItsClient_IsNotStopped()
    {
        using var turn = NewTurn(limit: 100);
        turn.Attach();
        AppendReply(turn, new StreamFinished(Participant.A, "stop", null, 5, 50, Stored: true));
        turn.Close();
        turn.MarkEnded();

        turn.Detach();
        AssertRunningLongPastTheGrace(turn);
    }

    private void AssertRunningLongPastTheGrace(LiveTurn turn)
    {
        clock.Advance(Grace * 2);
        Assert.False(turn.Token.IsCancellationRequested);
    }

    private static void AppendReply(LiveTurn turn, StreamFinished finished)
    {
        turn.Append(new StreamStarted(Participant.A, Guid.CreateVersion7(), "mock"));
        turn.Append(new StreamDelta(Participant.A, "one "));
        turn.Append(new StreamDelta(Participant.A, "two"));
        turn.Append(finished);
    }

    /// A resumable turn: only a turn whose generation outlives its client's connection is held to the limit.
    private LiveTurn NewTurn(int limit, bool resumable = true)
    {
        var plan = new ParticipantPlan(Participant.A, "mock", Guid.CreateVersion7(), []);
        var stream = new OpenedStream(StreamProtocol.Sse, [plan], telemetry.Trace(), Guid.CreateVersion7(), resumable);
        return new LiveTurn(stream, limit, Grace, clock);
    }
}
