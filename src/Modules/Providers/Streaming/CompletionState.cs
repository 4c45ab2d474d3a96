using System.Text;
using Anthropic.Exceptions;
using Anthropic.Models.Messages;
using Arena.Modules.Providers.Contracts;
using Microsoft.Extensions.AI;
using OpenAI.Chat;

namespace Arena.Modules.Providers.Streaming;

/// What one completion has seen so far, across its attempts: usage as reported and tool calls as sent. Both are read
/// from the SDKs' raw events, because the Microsoft.Extensions.AI adapters report usage only once the stream ends (so
/// a failure loses it), fold Anthropic's cache reads into the input count, and hand tool-call arguments over parsed
/// and re-serialised rather than as the provider sent them.
internal sealed class CompletionState
{
    private SortedDictionary<long, PendingToolCall>? toolCalls;
    private Queue<CompletionToolCall>? ready;

    public bool Received { get; set; }

    public bool Yielded { get; set; }

    public Microsoft.Extensions.AI.ChatFinishReason? FinishReason { get; set; }

    public string? ResponseModel { get; set; }

    public TokenUsage? Usage { get; private set; }

    /// Anthropic usage comes from its raw events, so the adapter's folded end-of-stream figure is ignored.
    public bool ReadsRawUsage { get; private set; }

    /// Learns from the SDK's raw event what the adapter drops; returns a tool call once it is complete.
    public CompletionToolCall? Observe(object? raw)
    {
        switch (raw)
        {
            case StreamingChatCompletionUpdate openAi when openAi.ToolCallUpdates.Count > 0:
                foreach (var fragment in openAi.ToolCallUpdates)
                {
                    AddOpenAIFragment(fragment);
                }

                return Ready();
            case RawMessageStreamEvent anthropic:
                ReadsRawUsage = true;
                return ObserveAnthropic(anthropic);
            default:
                return Ready();
        }
    }

    /// Reasoning in a field the adapter does not read: older Ollama and some OpenRouter models send <c>delta.reasoning</c>
    /// (the adapter reads only <c>delta.reasoning_content</c>). The SDK keeps the fields it did not model in a JSON patch;
    /// looking one up parses the path, which is why the caller asks only when the wire named the field.
    public static string? UnmodelledReasoning(object? raw)
    {
#pragma warning disable SCME0001 // JsonPatch is how the OpenAI SDK exposes fields it does not model; the adapter uses it the same way.
        return raw is StreamingChatCompletionUpdate openAi && openAi.Patch.TryGetValue("$.choices[0].delta.reasoning"u8, out string? reasoning) && !string.IsNullOrEmpty(reasoning)
            ? reasoning
            : null;
#pragma warning restore SCME0001
    }

    /// Last reported wins, field by field: vLLM reports usage on every chunk, OpenAI once at the end.
    public void SetUsage(UsageDetails details) => Usage = new TokenUsage(
        details.InputTokenCount ?? Usage?.PromptTokens,
        details.OutputTokenCount ?? Usage?.CompletionTokens,
        details.CachedInputTokenCount ?? Usage?.CacheReadTokens,
        Usage?.CacheWriteTokens,
        details.ReasoningTokenCount ?? Usage?.ReasoningTokens);

    /// The next finished tool call, lowest index first, or null.
    public CompletionToolCall? TakeToolCall()
    {
        if (Ready() is { } queued)
        {
            return queued;
        }

        if (toolCalls is not { Count: > 0 })
        {
            return null;
        }

        var (index, call) = toolCalls.First();
        toolCalls.Remove(index);
        return call.Complete();
    }

    /// Forgets a failed attempt before the next one; nothing of it reached the caller.
    public void Reset()
    {
        Received = false;
        FinishReason = null;
        Usage = null;
        toolCalls?.Clear();
        ready?.Clear();
    }

    private CompletionToolCall? Ready() => ready is { Count: > 0 } ? ready.Dequeue() : null;

    private void AddOpenAIFragment(StreamingChatToolCallUpdate fragment)
    {
        toolCalls ??= [];
        var index = (long)fragment.Index;
        if (toolCalls.TryGetValue(index, out var call) && fragment.ToolCallId is { Length: > 0 } id && call.Id.Length > 0 && id != call.Id)
        {
            // Older Ollama sends several complete calls without an index; a new id at a used index is a new call.
            (ready ??= new()).Enqueue(call.Complete());
            toolCalls.Remove(index);
            call = null;
        }

        if (call is null)
        {
            call = new PendingToolCall();
            toolCalls[index] = call;
        }

        if (fragment.ToolCallId is { Length: > 0 } callId)
        {
            call.Id = callId;
        }

        if (fragment.FunctionName is { Length: > 0 } name)
        {
            call.Name = name;
        }

        if (fragment.FunctionArgumentsUpdate is { } arguments && !arguments.IsEmpty)
        {
            call.Arguments.Append(Encoding.UTF8.GetString(arguments.ToMemory().Span));
        }
    }

    private CompletionToolCall? ObserveAnthropic(RawMessageStreamEvent raw)
    {
        switch (raw.Value)
        {
            case RawMessageStartEvent start:
                if (TryRead(() => start.Message.Usage) is { } started && (started.InputTokens != AnthropicUsageFiller.NotReported || started.OutputTokens != AnthropicUsageFiller.NotReported))
                {
                    Usage = new TokenUsage(Reported(started.InputTokens), Reported(started.OutputTokens), started.CacheReadInputTokens, started.CacheCreationInputTokens, Usage?.ReasoningTokens);
                }

                return null;
            case RawMessageDeltaEvent delta:
                // The counts of message_delta are running totals; each one it carries replaces the earlier figure.
                if (TryRead(() => delta.Usage) is { } totals && (totals.InputTokens is not null || totals.OutputTokens != AnthropicUsageFiller.NotReported))
                {
                    Usage = new TokenUsage(
                        totals.InputTokens ?? Usage?.PromptTokens,
                        Reported(totals.OutputTokens) ?? Usage?.CompletionTokens,
                        totals.CacheReadInputTokens ?? Usage?.CacheReadTokens,
                        totals.CacheCreationInputTokens ?? Usage?.CacheWriteTokens,
                        Usage?.ReasoningTokens);
                }

                return null;
            case RawContentBlockStartEvent { ContentBlock.Value: ToolUseBlock tool } blockStart:
                (toolCalls ??= [])[blockStart.Index] = new PendingToolCall { Id = tool.ID, Name = tool.Name };
                return null;
            case RawContentBlockDeltaEvent { Delta.Value: InputJsonDelta json } blockDelta when toolCalls is not null && toolCalls.TryGetValue(blockDelta.Index, out var call):
                call.Arguments.Append(json.PartialJson);
                return null;
            case RawContentBlockStopEvent blockStop when toolCalls is not null && toolCalls.Remove(blockStop.Index, out var finished):
                return finished.Complete();
            default:
                return null;
        }
    }

    private static long? Reported(long count) => count == AnthropicUsageFiller.NotReported ? null : count;

    // A field the provider left out throws when read; absent usage is "not reported", not a failure.
    private static T? TryRead<T>(Func<T?> read)
        where T : class
    {
        try
        {
            return read();
        }
        catch (AnthropicInvalidDataException)
        {
            return null;
        }
    }

    private sealed class PendingToolCall
    {
        public string Id { get; set; } = "";

        public string Name { get; set; } = "";

        public StringBuilder Arguments { get; } = new();

        // A call with no input fragments was sent as an empty object in its start block.
        public CompletionToolCall Complete() => new(Id, Name, Arguments.Length == 0 ? "{}" : Arguments.ToString());
    }
}
