using System.Text;
using Arena.Modules.Messaging.Domain;
using Arena.Modules.Providers.Contracts;

namespace Arena.Modules.Messaging.Streaming;

/// One participant's reply as it streams: turns provider updates into stream events, accumulates the content, keeps the
/// timings, and knows the final row. It awaits nothing, so each pipeline drives it with its own concurrency model.
internal sealed class ParticipantTranscript(ParticipantPlan plan, TimeProvider clock, TimeSpan partialFlushInterval)
{
    private readonly StringBuilder content = new();
    private long startedAt;
    private long? firstChunkAt;
    private long? endedAt;
    private long lastFlushAt;
    private int flushedLength;
    private FinishReason? finishReason;
    private TokenUsage? usage;
    private ErrorMetadata? error;

    public ParticipantPlan Plan => plan;

    public MessageStatus Status { get; private set; } = MessageStatus.Streaming;

    public bool IsTerminal => Status != MessageStatus.Streaming;

    public string Content => content.ToString();

    public StreamStarted Start()
    {
        startedAt = clock.GetTimestamp();
        lastFlushAt = startedAt;
        return new StreamStarted(plan.Participant, plan.MessageId, plan.Model);
    }

    /// The event to send for this update, or null; after a terminal update <see cref="IsTerminal"/> is true and
    /// <see cref="Finished"/> gives the closing event.
    public StreamEvent? Apply(CompletionUpdate update)
    {
        switch (update)
        {
            case CompletionText text:
                firstChunkAt ??= clock.GetTimestamp();
                content.Append(text.Text);
                return new StreamDelta(plan.Participant, text.Text);
            case CompletionFinished finished:
                End(MessageStatus.Success, finished.Reason, finished.Usage);
                return null;
            case CompletionFailed failed:
                End(MessageStatus.Error, FinishReason.Error, failed.Usage);
                error = new ErrorMetadata(WireNames.Of(failed.Code), failed.Message);
                return new StreamFailed(plan.Participant, error.Code, error.Message);
            default:
                return null;
        }
    }

    /// True at most once per flush interval, and only when there is content the database does not have yet.
    public bool PartialDue()
    {
        var now = clock.GetTimestamp();
        if (content.Length == flushedLength || clock.GetElapsedTime(lastFlushAt, now) < partialFlushInterval)
        {
            return false;
        }

        lastFlushAt = now;
        flushedLength = content.Length;
        return true;
    }

    /// The provider stream ended without a terminal update, which breaks its contract.
    public StreamFailed EndedWithoutFinish() => Fail(CompletionErrorCode.Truncated, "The provider stream ended without finishing the reply.");

    /// The pipeline itself failed while reading the provider; the message does not leak internals.
    public StreamFailed Fail(CompletionErrorCode code, string message)
    {
        End(MessageStatus.Error, FinishReason.Error, usage);
        error = new ErrorMetadata(WireNames.Of(code), message);
        return new StreamFailed(plan.Participant, error.Code, error.Message);
    }

    public void Cancel()
    {
        if (!IsTerminal)
        {
            End(MessageStatus.Cancelled, FinishReason.Cancelled, usage);
        }
    }

    public StreamFinished Finished() => new(plan.Participant, WireNames.Of(finishReason ?? FinishReason.Error), usage, TtftMs(), DurationMs());

    public MessageMetadata Metadata() => new(
        WireNames.Of(finishReason ?? FinishReason.Error),
        usage is null ? null : new UsageMetadata(usage.PromptTokens, usage.CompletionTokens),
        TtftMs(),
        DurationMs(),
        error);

    private void End(MessageStatus status, FinishReason reason, TokenUsage? finalUsage)
    {
        Status = status;
        finishReason = reason;
        usage = finalUsage;
        endedAt = clock.GetTimestamp();
    }

    private long? TtftMs() => firstChunkAt is { } first ? (long)clock.GetElapsedTime(startedAt, first).TotalMilliseconds : null;

    private long DurationMs() => (long)clock.GetElapsedTime(startedAt, endedAt ?? clock.GetTimestamp()).TotalMilliseconds;
}
