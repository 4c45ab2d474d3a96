using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Arena.Modules.Messaging.Domain;
using Arena.Modules.Messaging.Streaming;
using Arena.Modules.Providers.Contracts;
using Mediator;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Arena.Modules.Messaging.Features.StreamReply;

/// The async pipeline's concurrency: one producer task per participant reads its provider stream and writes events to one
/// bounded channel, which the response drains in arrival order. A participant's own events keep their order because only
/// it writes them; a failure ends only that participant; cancelling the enumeration cancels every producer at once.
internal sealed class ArrivalMerge(IMediator mediator, StreamRecorder recorder, TimeProvider clock, IOptions<MessagingOptions> options, ILogger<ArrivalMerge> logger)
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

                await Task.Delay(interval - idle, clock, cancellationToken);
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
        var transcript = new ParticipantTranscript(plan, trace, clock, options.Value.PartialFlushInterval);
        var recorded = false;
        try
        {
            await writer.WriteAsync(transcript.Start(), cancellationToken);
            try
            {
                await foreach (var update in mediator.CreateStream(new StreamCompletion(plan.Model, plan.Turns), cancellationToken))
                {
                    if (transcript.Apply(update) is { } streamEvent)
                    {
                        await writer.WriteAsync(streamEvent, cancellationToken);
                    }

                    if (transcript.IsTerminal)
                    {
                        break;
                    }

                    if (transcript.PartialDue())
                    {
                        await recorder.SavePartialAsync(plan.MessageId, transcript.Content, cancellationToken);
                    }
                }

                if (!transcript.IsTerminal)
                {
                    await writer.WriteAsync(transcript.EndedWithoutFinish(), cancellationToken);
                }
            }
            catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                logger.LogError(exception, "Streaming participant {Participant} of message {MessageId} failed", plan.Participant, plan.MessageId);
                await writer.WriteAsync(transcript.Fail(CompletionErrorCode.Unknown, "The reply could not be streamed."), cancellationToken);
            }

            // The row is final before the client reads the end of the participant.
            await recorder.FinishAsync(transcript);
            recorded = true;
            await writer.WriteAsync(transcript.Finished(), cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            if (!recorded)
            {
                await recorder.SettleAsync(transcript);
            }
        }
        catch (Exception exception)
        {
            logger.LogError(exception, "Recording participant {Participant} of message {MessageId} failed", plan.Participant, plan.MessageId);
            if (!recorded)
            {
                await recorder.SettleAsync(transcript);
            }
        }
    }

    private sealed class Activity
    {
        public long LastEventAt;
    }
}
