using Arena.Modules.Messaging.Domain;
using Arena.Modules.Messaging.Persistence;
using Arena.Modules.Messaging.Streaming;
using Arena.Modules.Providers.Contracts;
using Mediator;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Arena.Modules.Messaging.Features.StreamReply;

/// One participant's whole life, the same in both pipelines: start, apply the provider's updates, offer partial copies,
/// finish or fail, and settle the row when the stream stops early. Only the waiting varies (<see cref="IParticipantWaits"/>).
/// A participant's own events keep their order because only its run hands them on; a failure ends only that participant.
/// Partial copies go to <see cref="BackgroundSaves"/>, so nothing between the provider and the client waits for the database.
internal sealed partial class ParticipantRun(IMediator mediator, StreamRecorder recorder, BackgroundSaves partials, StreamDrain drain, TimeProvider clock, IOptions<MessagingOptions> options, ILogger<ParticipantRun> logger)
{
    public async Task RunAsync<TWaits>(ParticipantPlan plan, StreamTrace trace, TWaits waits, CancellationToken cancellationToken)
        where TWaits : IParticipantWaits
    {
        var transcript = new ParticipantTranscript(plan, trace, clock, options.Value.PartialFlushInterval);
        var recorded = false;
        using var partial = partials.Track(plan.MessageId);
        try
        {
            await waits.HandOnAsync(transcript.Start(), cancellationToken);
            try
            {
                var updates = mediator.CreateStream(new StreamCompletion(plan.Model, plan.Turns) { Anonymous = plan.Anonymous }, cancellationToken).GetAsyncEnumerator(cancellationToken);
                try
                {
                    while (await waits.NextAsync(updates))
                    {
                        if (transcript.Apply(updates.Current) is { } streamEvent)
                        {
                            await waits.HandOnAsync(streamEvent, cancellationToken);
                        }

                        if (transcript.IsTerminal)
                        {
                            break;
                        }

                        if (transcript.PartialDue())
                        {
                            partial.Offer(transcript.Content, transcript.Reasoning);
                        }
                    }
                }
                finally
                {
                    await waits.WaitAsync(updates.DisposeAsync());
                }

                if (!transcript.IsTerminal)
                {
                    await waits.HandOnAsync(transcript.EndedWithoutFinish(), cancellationToken);
                }
            }
            catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                LogStreamingFailed(logger, plan.Participant, plan.MessageId, exception);
                await waits.HandOnAsync(transcript.Fail(CompletionErrorCode.Unknown, "The reply could not be streamed."), cancellationToken);
            }

            // The client reads the end of the participant once the row is final, or once the final write has had its
            // bounded wait; the event says which.
            var stored = await waits.WaitAsync(recorder.FinishAsync(transcript));
            recorded = true;
            await waits.HandOnAsync(transcript.Finished(stored), cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            if (!recorded)
            {
                // Once the drain's deadline passed, every stream still running is being ended by the shutdown.
                await waits.WaitAsync(recorder.SettleAsync(transcript, drain.ShuttingDown));
            }
        }
        catch (Exception exception)
        {
            LogRecordingFailed(logger, plan.Participant, plan.MessageId, exception);
            if (!recorded)
            {
                await waits.WaitAsync(recorder.SettleAsync(transcript, drain.ShuttingDown));
            }
        }
    }

    [LoggerMessage(LogLevel.Error, "Streaming participant {Participant} of message {MessageId} failed")]
    private static partial void LogStreamingFailed(ILogger logger, Participant participant, Guid messageId, Exception exception);

    [LoggerMessage(LogLevel.Error, "Recording participant {Participant} of message {MessageId} failed")]
    private static partial void LogRecordingFailed(ILogger logger, Participant participant, Guid messageId, Exception exception);
}
