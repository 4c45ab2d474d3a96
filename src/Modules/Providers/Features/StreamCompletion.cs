using System.Runtime.CompilerServices;
using Arena.Modules.Providers.Contracts;
using Arena.Modules.Providers.Domain;
using Arena.Modules.Providers.Streaming;
using Mediator;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace Arena.Modules.Providers.Features;

/// Streams one completion through the model's <see cref="IChatClient"/>. Resilience lives here, not in the SDKs:
/// a failed attempt is retried with exponential backoff only while nothing has been yielded; one linked
/// CancellationTokenSource serves as the first-chunk timeout and then, re-armed per update, as the idle timeout.
internal sealed partial class StreamCompletionHandler(ModelCatalog catalog, ChatClientFactory clients, ILogger<StreamCompletionHandler> logger)
    : IStreamQueryHandler<StreamCompletion, CompletionUpdate>
{
    public async IAsyncEnumerable<CompletionUpdate> Handle(StreamCompletion query, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var model = catalog.Find(query.ModelId);
        if (model is null)
        {
            yield return new CompletionFailed(CompletionErrorCode.BadRequest, $"Model '{query.ModelId}' is not in the catalog.");
            yield break;
        }

        var provider = model.Provider;
        var apiKey = provider.ResolveApiKey();
        var client = clients.Get(model);
        var messages = query.Messages.Select(ToChatMessage).ToList();
        var options = new ChatOptions
        {
            ModelId = model.ProviderModel,
            MaxOutputTokens = model.MaxOutputTokens,
            Temperature = model.Temperature,
            TopP = model.TopP,
        };

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var state = new StreamState();
        for (var attempt = 0; ; attempt++)
        {
            var observation = new StreamObservation();
            deadline.CancelAfter(provider.FirstChunkTimeout);
            ProviderError? error = null;
            await using (var updates = client.GetStreamingResponseAsync(messages, options, deadline.Token).GetAsyncEnumerator(deadline.Token))
            {
                while (true)
                {
                    // Only the first move sends the request, so only it needs the observation (setting an AsyncLocal allocates).
                    var step = await MoveNextAsync(updates, state.Received ? null : observation);
                    if (step.Exception is not null)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        error = Classify(step.Exception, observation, deadline.IsCancellationRequested, state, provider, apiKey);
                        break;
                    }

                    if (!step.HasUpdate)
                    {
                        break;
                    }

                    state.Received = true;
                    deadline.CancelAfter(provider.IdleTimeout);
                    var update = updates.Current;
                    state.FinishReason = update.FinishReason ?? state.FinishReason;
                    var contents = update.Contents;
                    for (var index = 0; index < contents.Count; index++)
                    {
                        switch (contents[index])
                        {
                            case TextContent { Text.Length: > 0 } text:
                                state.Yielded = true;
                                yield return new CompletionText(text.Text);
                                break;
                            case TextReasoningContent { Text.Length: > 0 } reasoning:
                                state.Yielded = true;
                                yield return new CompletionReasoning(reasoning.Text);
                                break;
                            case UsageContent { Details: var details }:
                                state.AddUsage(details);
                                break;
                        }
                    }
                }
            }

            if (error is { } failure && failure.Retryable && !state.Yielded && attempt < provider.MaxRetries)
            {
                deadline.CancelAfter(Timeout.InfiniteTimeSpan);
                LogRetry(logger, model.Id, failure.Code, attempt + 1);
                await Task.Delay(provider.RetryDelay * Math.Pow(2, attempt), cancellationToken);
                state.Received = false;
                continue;
            }

            // An SDK may end its enumeration quietly when its token fires; that is still the consumer's or the timeout's doing.
            cancellationToken.ThrowIfCancellationRequested();
            if (error is null && deadline.IsCancellationRequested)
            {
                error = TimedOut(state, provider);
            }

            if (error is null && observation.SawError)
            {
                error = ProviderErrors.FromErrorFrame(observation, apiKey);
            }

            var outcome = error is { } e ? new CompletionFailed(e.Code, e.Message, state.Usage) : Conclude(observation, state);
            if (outcome is CompletionFailed failed)
            {
                LogFailure(logger, model.Id, failed.Code, failed.Message, error?.Detail ?? "");
            }

            yield return outcome;
            yield break;
        }
    }

    // Pooled because it runs once per chunk; it catches so that the iterator, which cannot yield inside a catch, gets a value.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<Step> MoveNextAsync(IAsyncEnumerator<ChatResponseUpdate> updates, StreamObservation? observation)
    {
        if (observation is not null)
        {
            // Set here rather than in the iterator so that it flows into the SDK call that sends the request.
            StreamObservation.Current = observation;
        }

        try
        {
            return new Step(await updates.MoveNextAsync(), null);
        }
        catch (Exception exception)
        {
            return new Step(false, exception);
        }
    }

    private static ProviderError Classify(Exception exception, StreamObservation observation, bool deadlinePassed, StreamState state, ProviderOptions provider, string? apiKey)
    {
        if (observation.SawError)
        {
            return ProviderErrors.FromErrorFrame(observation, apiKey);
        }

        return deadlinePassed ? TimedOut(state, provider) : ProviderErrors.Classify(exception, state.Received || observation.SawStreamingResponse, apiKey);
    }

    private static ProviderError TimedOut(StreamState state, ProviderOptions provider) => state.Received
        ? new ProviderError(CompletionErrorCode.Timeout, $"The provider sent nothing for {provider.IdleTimeout.TotalSeconds:0.###} s.", false)
        : new ProviderError(CompletionErrorCode.Timeout, $"The provider sent no first chunk within {provider.FirstChunkTimeout.TotalSeconds:0.###} s.", false);

    private static CompletionUpdate Conclude(StreamObservation observation, StreamState state)
    {
        if (observation.SawStreamingResponse && !observation.SawEndMarker)
        {
            return new CompletionFailed(CompletionErrorCode.Truncated, "The provider's stream ended without its end marker.", state.Usage);
        }

        var reason = state.FinishReason;
        if (reason is null || reason == ChatFinishReason.Stop)
        {
            return new CompletionFinished(FinishReason.Stop, state.Usage);
        }

        if (reason == ChatFinishReason.Length)
        {
            return new CompletionFinished(FinishReason.Length, state.Usage);
        }

        if (reason == ChatFinishReason.ContentFilter)
        {
            return new CompletionFinished(FinishReason.ContentFilter, state.Usage);
        }

        if (reason == ChatFinishReason.ToolCalls)
        {
            return new CompletionFinished(FinishReason.ToolCalls, state.Usage);
        }

        return string.Equals(reason.Value.Value, "error", StringComparison.OrdinalIgnoreCase)
            ? new CompletionFailed(CompletionErrorCode.Unknown, "The provider ended the answer with finish reason 'error'.", state.Usage)
            : new CompletionFinished(FinishReason.Stop, state.Usage);
    }

    private static ChatMessage ToChatMessage(ChatTurn turn) => new(
        turn.Role switch
        {
            ChatTurnRole.System => ChatRole.System,
            ChatTurnRole.Assistant => ChatRole.Assistant,
            _ => ChatRole.User,
        },
        turn.Content);

    [LoggerMessage(Level = LogLevel.Information, Message = "Retrying model {ModelId} after {Code} (retry {Retry}).")]
    private static partial void LogRetry(ILogger logger, string modelId, CompletionErrorCode code, int retry);

    // The detail is the provider's or the transport's own text, already redacted; it may name hosts, which clients never see.
    [LoggerMessage(Level = LogLevel.Warning, Message = "Completion from model {ModelId} failed with {Code}: {Message} Detail: {Detail}")]
    private static partial void LogFailure(ILogger logger, string modelId, CompletionErrorCode code, string message, string detail);

    private readonly record struct Step(bool HasUpdate, Exception? Exception);

    private sealed class StreamState
    {
        public bool Received { get; set; }

        public bool Yielded { get; set; }

        public ChatFinishReason? FinishReason { get; set; }

        public TokenUsage? Usage { get; private set; }

        public void AddUsage(UsageDetails details)
        {
            var prompt = details.InputTokenCount ?? Usage?.PromptTokens ?? 0;
            var completion = details.OutputTokenCount ?? Usage?.CompletionTokens ?? 0;
            Usage = new TokenUsage(prompt, completion);
        }
    }
}
