using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Arena.Modules.Messaging.Domain;
using Arena.Modules.Messaging.Streaming;
using Arena.Modules.Providers.Contracts;
using Microsoft.Extensions.Options;

namespace Arena.Modules.Messaging.Features.StreamReply;

/// The async pipeline's concurrency: one producer task per participant runs the shared <see cref="ParticipantRun"/> and
/// writes its events to one bounded channel, which the response drains in arrival order; cancelling the enumeration
/// cancels every producer at once.
internal sealed class ArrivalMerge(ParticipantRun run, TimeProvider clock, IOptions<MessagingOptions> options)
{
    public async IAsyncEnumerable<StreamEvent> RunAsync(StreamTrace trace, IReadOnlyList<ParticipantPlan> participants, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var channel = Channel.CreateBounded<StreamEvent>(new BoundedChannelOptions(64) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var activity = new Activity { LastEventAt = clock.GetTimestamp() };
        var producers = new Task[participants.Count];
        for (var i = 0; i < participants.Count; i++)
        {
            producers[i] = ProduceAsync(participants[i], trace, channel.Writer, stop.Token);
        }

        var keepAlive = KeepAliveAsync(channel.Writer, activity, stop.Token);
        _ = CompleteWhenDoneAsync(producers, channel.Writer);
        try
        {
            while (await channel.Reader.WaitToReadAsync(cancellationToken))
            {
                while (channel.Reader.TryRead(out var streamEvent))
                {
                    Volatile.Write(ref activity.LastEventAt, clock.GetTimestamp());
                    yield return streamEvent;
                }
            }
        }
        finally
        {
            // Normally every producer is done here; after a disconnect this cancels the upstream calls and waits for the
            // producers' final writes, so that the rows are settled when the request ends.
            await stop.CancelAsync();
            await Task.WhenAll(producers);
            await keepAlive;
        }
    }

    private static async Task CompleteWhenDoneAsync(Task[] producers, ChannelWriter<StreamEvent> writer)
    {
        await Task.WhenAll(producers);
        writer.TryComplete();
    }

    private async Task KeepAliveAsync(ChannelWriter<StreamEvent> writer, Activity activity, CancellationToken cancellationToken)
    {
        var interval = options.Value.KeepAliveInterval;
        try
        {
            while (true)
            {
                var idle = clock.GetElapsedTime(Volatile.Read(ref activity.LastEventAt));
                if (idle >= interval)
                {
                    await writer.WriteAsync(StreamKeepAlive.Instance, cancellationToken);
                    idle = TimeSpan.Zero;
                }

                // Every stream ends this wait by cancelling it: without the throw, a healthy server's exception count
                // (dotnet.exceptions on the dashboards) is not one TaskCanceledException per stream.
                await Task.Delay(interval - idle, clock, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                if (cancellationToken.IsCancellationRequested)
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The stream ended.
        }
        catch (ChannelClosedException)
        {
            // Every participant ended.
        }
    }

    private async Task ProduceAsync(ParticipantPlan plan, StreamTrace trace, ChannelWriter<StreamEvent> writer, CancellationToken cancellationToken)
    {
        await Task.Yield();
        await run.RunAsync(plan, trace, new ChannelWaits(writer), cancellationToken);
    }

    /// Awaits everything: the channel's back pressure, the provider and the final write hold no thread.
    private readonly struct ChannelWaits(ChannelWriter<StreamEvent> writer) : IParticipantWaits
    {
        public ValueTask HandOnAsync(StreamEvent streamEvent, CancellationToken cancellationToken) => writer.WriteAsync(streamEvent, cancellationToken);

        public ValueTask<bool> NextAsync(IAsyncEnumerator<CompletionUpdate> updates) => updates.MoveNextAsync();

        public ValueTask WaitAsync(ValueTask pending) => pending;

        public ValueTask WaitAsync(Task pending) => new(pending);

        public ValueTask<bool> WaitAsync(Task<bool> pending) => new(pending);
    }

    private sealed class Activity
    {
        public long LastEventAt;
    }
}
