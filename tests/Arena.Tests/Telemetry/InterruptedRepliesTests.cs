using System.Diagnostics.Metrics;
using Arena.Tests.Modules.Messaging;
using Microsoft.Extensions.DependencyInjection;

namespace Arena.Tests.Telemetry;

/// A reply that a dead host left streaming ends as interrupted when another host's lease sweeps it; the finished-replies
/// metric counts it there, so the dashboard's outcome panels see it.
public sealed class InterruptedRepliesTests(LeaseMessagingApp app) : IClassFixture<LeaseMessagingApp>
{
    [Fact]
    public async Task Replies_DeadHostsReplySwept_CountedInterruptedWithModelAndParticipant()
    {
        var counted = new TaskCompletionSource<Dictionary<string, object?>>(TaskCreationOptions.RunContinuationsAsynchronously);
        var hostMeters = app.Services.GetRequiredService<IMeterFactory>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, meters) =>
            {
                if (instrument.Name == "arena.stream.replies" && ReferenceEquals(instrument.Meter.Scope, hostMeters))
                {
                    meters.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            var copy = new Dictionary<string, object?> { ["value"] = value };
            foreach (var tag in tags)
            {
                copy[tag.Key] = tag.Value;
            }

            if (copy.GetValueOrDefault("arena.status") as string == "interrupted")
            {
                counted.TrySetResult(copy);
            }
        });
        listener.Start();
        using var client = app.As("interrupted-metric");
        var session = await app.CreateSessionAsync(client, MessagingApp.Fast, MessagingApp.Fast2);

        await app.ExecuteAsync(
            """
            INSERT INTO messaging.stream_hosts (id, started_at, heartbeat_at) VALUES (@dead, now() - interval '2 hours', now() - interval '1 hour');
            INSERT INTO messaging.messages (id, session_id, role, content, parent_id, model, participant, status, stream_host_id, created_at, updated_at)
            VALUES (@reply, @session, 'assistant', 'cut short by a crash', NULL, 'fast-model-2', 'b', 'streaming', @dead, now(), now())
            """,
            ("dead", Guid.CreateVersion7()),
            ("reply", Guid.CreateVersion7()),
            ("session", session));

        var tags = await counted.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(1L, tags["value"]);
        Assert.Equal(MessagingApp.Fast2, tags["arena.model"]);
        Assert.Equal("b", tags["arena.participant"]);
        // A swept reply's pipeline died with its host.
        Assert.Equal("unknown", tags["arena.pipeline"]);
    }
}
