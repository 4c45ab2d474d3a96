using System.Diagnostics;
using System.Text;
using Arena.Modules.Messaging.Domain;
using Arena.Modules.Providers.Contracts;

namespace Arena.Modules.Messaging.Streaming;

/// One participant's reply as it streams: turns provider updates into stream events, accumulates the content, keeps the
/// timings, and knows the final row. It awaits nothing, so each pipeline drives it with its own concurrency model.
/// It reports to the stream's trace at the start, the first chunk and the first end only, so chunks cost no telemetry.
internal sealed class ParticipantTranscript(ParticipantPlan plan, StreamTrace trace, TimeProvider clock, TimeSpan partialFlushInterval)
{
    private readonly StringBuilder content = new();
    private StringBuilder? reasoning;
    private List<ToolCallMetadata>? toolCalls;
    private long startedAt;
    private long? firstChunkAt;
    private long? endedAt;
    private long lastFlushAt;
    private int flushedLength;
    private long chunks;
    private FinishReason? finishReason;
    private TokenUsage? usage;
    private ErrorMetadata? error;
    private Activity? span;

    public ParticipantPlan Plan => plan;

    public MessageStatus Status { get; private set; } = MessageStatus.Streaming;

    public bool IsTerminal => Status != MessageStatus.Streaming;

    public string Content => content.ToString();

    public string? Reasoning => reasoning?.ToString();

    public StreamStarted Start()
    {
        span = trace.StartReply(plan);
        startedAt = clock.GetTimestamp();
        lastFlushAt = startedAt;
        return new StreamStarted(plan.Participant, plan.MessageId, plan.Anonymous ? null : plan.Model);
    }

    /// The event to send for this update, or null; after a terminal update <see cref="IsTerminal"/> is true and
    /// <see cref="Finished"/> gives the closing event.
    public StreamEvent? Apply(CompletionUpdate update)
    {
        switch (update)
        {
            case CompletionText { Text: var raw }:
                var text = StorableText.Of(raw);
                if (text.Length == 0)
                {
                    return null;
                }

                MarkFirstChunk();
                content.Append(text);
                chunks++;
                return new StreamDelta(plan.Participant, text);
            case CompletionReasoning { Text: var rawThought }:
                var thought = StorableText.Of(rawThought);
                if (thought.Length == 0)
                {
                    return null;
                }

                MarkFirstChunk();
                (reasoning ??= new StringBuilder()).Append(thought);
                return new StreamReasoning(plan.Participant, thought);
            case CompletionToolCall call:
                MarkFirstChunk();
                var stored = new ToolCallMetadata(StorableText.Of(call.Id), StorableText.Of(call.Name), StorableText.Of(call.Arguments));
                (toolCalls ??= []).Add(stored);
                return new StreamToolCall(plan.Participant, stored.Id, stored.Name, stored.Arguments);
            case CompletionFinished finished:
                End(finished.Reason == FinishReason.ToolCalls && toolCalls is not null ? MessageStatus.ToolCalls : MessageStatus.Success, finished.Reason, finished.Usage);
                return null;
            case CompletionFailed failed:
                error = new ErrorMetadata(WireNames.Of(failed.Code), plan.Anonymous ? AnonymousErrors.Of(failed.Code) : StorableText.Of(failed.Message));
                End(MessageStatus.Error, FinishReason.Error, failed.Usage ?? usage);
                return new StreamFailed(plan.Participant, error.Code, error.Message);
            default:
                return null;
        }
    }

    /// True at most once per flush interval, and only when there is content the database does not have yet.
    public bool PartialDue()
    {
        var now = clock.GetTimestamp();
        // Reasoning counts too: a model that is still thinking has text worth keeping before its answer starts.
        var produced = content.Length + (reasoning?.Length ?? 0);
        if (produced == flushedLength || clock.GetElapsedTime(lastFlushAt, now) < partialFlushInterval)
        {
            return false;
        }

        lastFlushAt = now;
        flushedLength = produced;
        return true;
    }

    /// The provider stream ended without a terminal update, which breaks its contract.
    public StreamFailed EndedWithoutFinish() => Fail(CompletionErrorCode.Truncated, "The provider stream ended without finishing the reply.");

    /// The pipeline itself failed while reading the provider; the message does not leak internals.
    public StreamFailed Fail(CompletionErrorCode code, string message)
    {
        error = new ErrorMetadata(WireNames.Of(code), message);
        End(MessageStatus.Error, FinishReason.Error, usage);
        return new StreamFailed(plan.Participant, error.Code, error.Message);
    }

    public void Cancel()
    {
        if (!IsTerminal)
        {
            End(MessageStatus.Cancelled, FinishReason.Cancelled, usage);
        }
    }

    /// The instance is shutting down before the reply ended: what arrived is kept, and the error says why it stopped.
    public void Interrupt(string code, string message)
    {
        if (!IsTerminal)
        {
            error = new ErrorMetadata(code, message);
            End(MessageStatus.Interrupted, FinishReason.Error, usage);
        }
    }

    /// <paramref name="stored"/>: whether the row held the reply when the event was sent.
    public StreamFinished Finished(bool stored) => new(plan.Participant, WireNames.Of(finishReason ?? FinishReason.Error), usage, TtftMs(), DurationMs(), stored);

    public MessageMetadata Metadata() => new(
        WireNames.Of(finishReason ?? FinishReason.Error),
        usage is null ? null : new UsageMetadata(usage.PromptTokens, usage.CompletionTokens, usage.CacheReadTokens, usage.CacheWriteTokens, usage.ReasoningTokens),
        TtftMs(),
        DurationMs(),
        error,
        toolCalls);

    private void MarkFirstChunk()
    {
        if (firstChunkAt is null)
        {
            firstChunkAt = clock.GetTimestamp();
            trace.FirstChunk(plan, span, clock.GetElapsedTime(startedAt, firstChunkAt.Value));
        }
    }

    private void End(MessageStatus status, FinishReason reason, TokenUsage? finalUsage)
    {
        // A failure while leaving a finished provider stream may still turn a success into an error; the trace keeps
        // the first end so that each reply counts once.
        var first = !IsTerminal;
        Status = status;
        finishReason = reason;
        usage = finalUsage;
        endedAt = clock.GetTimestamp();
        if (first)
        {
            var firstChunk = firstChunkAt is { } at ? clock.GetElapsedTime(startedAt, at) : (TimeSpan?)null;
            trace.EndReply(plan, span, status, WireNames.Of(reason), error?.Code, clock.GetElapsedTime(startedAt, endedAt.Value), firstChunk, chunks, usage?.CompletionTokens);
        }
    }

    private long? TtftMs() => firstChunkAt is { } first ? (long)clock.GetElapsedTime(startedAt, first).TotalMilliseconds : null;

    private long DurationMs() => (long)clock.GetElapsedTime(startedAt, endedAt ?? clock.GetTimestamp()).TotalMilliseconds;
}
