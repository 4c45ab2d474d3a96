using System.Diagnostics.Metrics;
using Arena.Modules.Messaging.Domain;
using Arena.Modules.Messaging.Streaming;
using Microsoft.Extensions.DependencyInjection;

namespace Arena.Tests.Modules.Messaging.Resume;

/// The turn's event buffer grows in segments of doubling size; every position must still read back the event stored there.
public sealed class LiveTurnTests : IDisposable
{
    private readonly ServiceProvider services;
    private readonly StreamTelemetry telemetry;

    public LiveTurnTests()
    {
        services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        telemetry = new StreamTelemetry(services.GetRequiredService<IMeterFactory>());
    }

    public void Dispose()
    {
        telemetry.Dispose();
        services.Dispose();
    }

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

    private LiveTurn NewTurn(int limit)
    {
        var plan = new ParticipantPlan(Participant.A, "mock", Guid.CreateVersion7(), []);
        var stream = new OpenedStream(StreamProtocol.Sse, [plan], new StreamTrace(telemetry, "streaming", CancellationToken.None), Guid.CreateVersion7(), Resumable: false);
        return new LiveTurn(stream, limit, TimeSpan.FromMinutes(1), TimeProvider.System);
    }
}
