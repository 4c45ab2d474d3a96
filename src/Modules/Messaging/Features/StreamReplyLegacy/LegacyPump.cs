using System.Buffers;
using System.Collections.Concurrent;
using Arena.Modules.Messaging.Domain;
using Arena.Modules.Messaging.Streaming;
using Arena.Modules.Messaging.Streaming.Wire;
using Arena.Modules.Providers.Contracts;
using Mediator;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Arena.Modules.Messaging.Features.StreamReplyLegacy;

/// The old service's concurrency model, kept as a baseline: one dedicated thread per participant reads its provider
/// stream with blocking calls into a bounded BlockingCollection; the request thread drains it and writes each event
/// synchronously, then joins the threads. Gate, transcript, recorder and wire writers are the streaming pipeline's.
internal sealed class LegacyPump(IMediator mediator, StreamRecorder recorder, TimeProvider clock, IOptions<MessagingOptions> options, ILogger<LegacyPump> logger)
{
    public void Run(HttpContext context, OpenedStream stream)
    {
        var settings = options.Value;
        using var queue = new BlockingCollection<StreamEvent>(boundedCapacity: 64);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        var remaining = stream.Participants.Count;
        var threads = new List<Thread>(stream.Participants.Count);
        foreach (var plan in stream.Participants)
        {
            var thread = new Thread(() =>
            {
                try
                {
                    Produce(plan, stream.Trace, queue, stop.Token);
                }
                finally
                {
                    if (Interlocked.Decrement(ref remaining) == 0)
                    {
                        queue.CompleteAdding();
                    }
                }
            })
            {
                IsBackground = true,
                Name = $"arena-legacy-{WireNames.Of(plan.Participant)}",
            };
            threads.Add(thread);
            thread.Start();
        }

        var writer = StreamWireWriter.For(stream.Protocol);
        var buffer = new ArrayBufferWriter<byte>(4096);
        var body = context.Response.Body;
        var headersSent = false;
        var keepAlive = (int)settings.KeepAliveInterval.TotalMilliseconds;
        try
        {
            while (true)
            {
                if (!queue.TryTake(out var streamEvent, keepAlive, stop.Token))
                {
                    if (queue.IsCompleted)
                    {
                        break;
                    }

                    streamEvent = StreamKeepAlive.Instance;
                }

                if (writer.Write(streamEvent, buffer) || !headersSent)
                {
                    headersSent = true;
                    Send(body, buffer);
                }
            }

            if (writer.WriteEnd(buffer))
            {
                Send(body, buffer);
            }
        }
        catch (Exception exception) when (exception is OperationCanceledException or IOException && context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; the threads save their partial replies as cancelled.
        }
        finally
        {
            stop.Cancel();
            foreach (var thread in threads)
            {
                thread.Join();
            }
        }
    }

    private static void Send(Stream body, ArrayBufferWriter<byte> buffer)
    {
        body.Write(buffer.WrittenSpan);
        body.Flush();
        buffer.ResetWrittenCount();
    }

    private void Produce(ParticipantPlan plan, StreamTrace trace, BlockingCollection<StreamEvent> queue, CancellationToken cancellationToken)
    {
        var transcript = new ParticipantTranscript(plan, trace, clock, options.Value.PartialFlushInterval);
        var recorded = false;
        try
        {
            queue.Add(transcript.Start(), cancellationToken);
            try
            {
                var updates = mediator.CreateStream(new StreamCompletion(plan.Model, plan.Turns), cancellationToken).GetAsyncEnumerator(cancellationToken);
                try
                {
                    while (Block(updates.MoveNextAsync()))
                    {
                        if (transcript.Apply(updates.Current) is { } streamEvent)
                        {
                            queue.Add(streamEvent, cancellationToken);
                        }

                        if (transcript.IsTerminal)
                        {
                            break;
                        }

                        if (transcript.PartialDue())
                        {
                            recorder.SavePartialAsync(plan.MessageId, transcript.Content, cancellationToken).GetAwaiter().GetResult();
                        }
                    }
                }
                finally
                {
                    updates.DisposeAsync().AsTask().GetAwaiter().GetResult();
                }

                if (!transcript.IsTerminal)
                {
                    queue.Add(transcript.EndedWithoutFinish(), cancellationToken);
                }
            }
            catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                logger.LogError(exception, "Streaming participant {Participant} of message {MessageId} failed", plan.Participant, plan.MessageId);
                queue.Add(transcript.Fail(CompletionErrorCode.Unknown, "The reply could not be streamed."), cancellationToken);
            }

            recorder.FinishAsync(transcript).GetAwaiter().GetResult();
            recorded = true;
            queue.Add(transcript.Finished(), cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            if (!recorded)
            {
                recorder.SettleAsync(transcript).GetAwaiter().GetResult();
            }
        }
        catch (Exception exception)
        {
            logger.LogError(exception, "Recording participant {Participant} of message {MessageId} failed", plan.Participant, plan.MessageId);
            if (!recorded)
            {
                recorder.SettleAsync(transcript).GetAwaiter().GetResult();
            }
        }
    }

    private static bool Block(ValueTask<bool> pending) => pending.IsCompleted ? pending.Result : pending.AsTask().GetAwaiter().GetResult();
}
