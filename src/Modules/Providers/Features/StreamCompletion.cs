using System.Runtime.CompilerServices;
using Arena.Modules.Providers.Contracts;
using Arena.Modules.Providers.Domain;
using Arena.Modules.Providers.Mock;
using Arena.Modules.Providers.Streaming;
using Mediator;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace Arena.Modules.Providers.Features;

/// Streams one completion through the model's <see cref="IChatClient"/>. Resilience lives here, not in the SDKs:
/// a failed attempt is retried with exponential backoff only while nothing has been yielded; one
/// <see cref="StreamDeadline"/> serves as the first-chunk timeout and then, moved on by every update, as the idle timeout.
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
        if (query.Anonymous && model.Provider.Kind == ProviderKind.Mock)
        {
            // Only the mock is told: an SDK might forward unknown properties to a real provider's API.
            options.AdditionalProperties = new() { [MockChatClient.AnonymousProperty] = true };
        }

        using var deadline = new StreamDeadline(cancellationToken);
        var state = new CompletionState();
        for (var attempt = 0; ; attempt++)
        {
            var observation = new StreamObservation();
            var telemetry = ProviderTelemetry.Start(model);
            deadline.Arm(provider.FirstChunkTimeout);
            ProviderError? error = null;
            await using (var updates = client.GetStreamingResponseAsync(messages, options, deadline.Token).GetAsyncEnumerator(deadline.Token))
            {
                while (true)
                {
                    // Only the first move sends the request, so only it needs the observation (setting an AsyncLocal allocates).
                    var step = await MoveNextAsync(updates, state.Received ? null : observation);
                    if (step.Exception is not null)
                    {
                        if (cancellationToken.IsCancellationRequested)
                        {
                            telemetry.End(state.ResponseModel, null, state.Usage, CompletionErrorCode.Cancelled);
                            cancellationToken.ThrowIfCancellationRequested();
                        }

                        error = Classify(step.Exception, observation, deadline.IsCancellationRequested, state, provider, apiKey);
                        break;
                    }

                    if (!step.HasUpdate)
                    {
                        break;
                    }

                    if (state.Received)
                    {
                        deadline.Progress();
                    }
                    else
                    {
                        state.Received = true;
                        deadline.Arm(provider.IdleTimeout);
                    }

                    var update = updates.Current;
                    state.FinishReason = update.FinishReason ?? state.FinishReason;
                    state.ResponseModel ??= update.ModelId;
                    if (observation.MayCarryUnmodelledReasoning && CompletionState.UnmodelledReasoning(update.RawRepresentation) is { } unmodelled)
                    {
                        state.Yielded = true;
                        yield return new CompletionReasoning(unmodelled);
                    }

                    var toolCall = state.Observe(update.RawRepresentation);
                    if (toolCall is not null)
                    {
                        state.Yielded = true;
                        yield return toolCall;
                    }

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
                            case UsageContent { Details: var details } when !state.ReadsRawUsage:
                                state.SetUsage(details);
                                break;
                        }
                    }

                    if (update.FinishReason is not null)
                    {
                        // OpenAI-compatible tool calls arrive as fragments per index; the finish chunk closes them all.
                        while (state.TakeToolCall() is { } call)
                        {
                            state.Yielded = true;
                            yield return call;
                        }
                    }
                }
            }

            // An error frame may come before the SDK notices anything wrong (or instead of it noticing at all).
            if (error is null && observation.SawError && !cancellationToken.IsCancellationRequested)
            {
                error = ProviderErrors.FromErrorFrame(observation, apiKey);
            }

            if (error is { } failure && failure.Retryable && !state.Yielded && attempt < provider.MaxRetries
                && RetryDelay(provider, attempt, observation.RetryAfter) is { } delay)
            {
                telemetry.End(state.ResponseModel, null, state.Usage, failure.Code);
                deadline.Arm(Timeout.InfiniteTimeSpan);
                LogRetry(logger, model.Id, failure.Code, attempt + 1, (long)delay.TotalMilliseconds);
                await Task.Delay(delay, cancellationToken);
                state.Reset();
                continue;
            }

            // An SDK may end its enumeration quietly when its token fires; that is still the consumer's or the timeout's doing.
            if (cancellationToken.IsCancellationRequested)
            {
                telemetry.End(state.ResponseModel, null, state.Usage, CompletionErrorCode.Cancelled);
                cancellationToken.ThrowIfCancellationRequested();
            }

            if (error is null && deadline.IsCancellationRequested)
            {
                error = TimedOut(state, provider);
            }

            while (error is null && state.TakeToolCall() is { } pending)
            {
                yield return pending;
            }

            var outcome = error is { } e ? new CompletionFailed(e.Code, e.Message, state.Usage) : Conclude(observation, state);
            if (outcome is CompletionFailed failed)
            {
                LogFailure(logger, model.Id, failed.Code, failed.Message, error?.Detail ?? "");
                telemetry.End(state.ResponseModel, "error", state.Usage, failed.Code);
            }
            else
            {
                telemetry.End(state.ResponseModel, ((CompletionFinished)outcome).Reason.ToString(), state.Usage, null);
            }

            yield return outcome;
            yield break;
        }
    }

    // Exponential backoff, or the provider's retry-after when it asks for longer; null when it asks for more than the budget.
    private static TimeSpan? RetryDelay(ProviderOptions provider, int attempt, TimeSpan? retryAfter)
    {
        var backoff = provider.RetryDelay * Math.Pow(2, attempt);
        if (retryAfter is not { } asked)
        {
            return backoff;
        }

        return asked > provider.MaxRetryAfter ? null : asked > backoff ? asked : backoff;
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

    private static ProviderError Classify(Exception exception, StreamObservation observation, bool deadlinePassed, CompletionState state, ProviderOptions provider, string? apiKey)
    {
        if (observation.SawError)
        {
            return ProviderErrors.FromErrorFrame(observation, apiKey);
        }

        return deadlinePassed ? TimedOut(state, provider) : ProviderErrors.Classify(exception, state.Received || observation.SawStreamingResponse, apiKey);
    }

    private static ProviderError TimedOut(CompletionState state, ProviderOptions provider) => state.Received
        ? new ProviderError(CompletionErrorCode.Timeout, $"The provider sent nothing for {provider.IdleTimeout.TotalSeconds:0.###} s.", false)
        : new ProviderError(CompletionErrorCode.Timeout, $"The provider sent no first chunk within {provider.FirstChunkTimeout.TotalSeconds:0.###} s.", false);

    private static CompletionUpdate Conclude(StreamObservation observation, CompletionState state)
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Retrying model {ModelId} after {Code} (retry {Retry}) in {DelayMs} ms.")]
    private static partial void LogRetry(ILogger logger, string modelId, CompletionErrorCode code, int retry, long delayMs);

    // The detail is the provider's or the transport's own text, already redacted; it may name hosts, which clients never see.
    [LoggerMessage(Level = LogLevel.Warning, Message = "Completion from model {ModelId} failed with {Code}: {Message} Detail: {Detail}")]
    private static partial void LogFailure(ILogger logger, string modelId, CompletionErrorCode code, string message, string detail);

    private readonly record struct Step(bool HasUpdate, Exception? Exception);
}
