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
internal sealed partial class StreamCompletionHandler(ModelCatalog catalog, ChatClientFactory clients, TimeProvider clock, ILogger<StreamCompletionHandler> logger)
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
        var request = new ProviderRequest(model, clients.Get(model), query.Messages.Select(ToChatMessage).ToList(), ToChatOptions(model, query.Anonymous), apiKey);
        using var deadline = new StreamDeadline(cancellationToken, clock);
        var state = new CompletionState();
        for (var retry = 0; ; retry++)
        {
            var attempt = new Attempt(request, state, deadline);
            await foreach (var update in attempt.Run(cancellationToken))
            {
                yield return update;
            }

            if (attempt.Error is { Retryable: true } failure && !state.Yielded && retry < provider.MaxRetries
                && RetryDelay(provider, retry, attempt.Observation.RetryAfter) is { } delay)
            {
                attempt.Telemetry.End(state.ResponseModel, null, state.Usage, failure.Code);
                deadline.Arm(Timeout.InfiniteTimeSpan);
                LogRetry(logger, model.Id, failure.Code, retry + 1, (long)delay.TotalMilliseconds);
                await Task.Delay(delay, cancellationToken);
                state.Reset();
                continue;
            }

            await foreach (var update in attempt.Finish(logger, cancellationToken))
            {
                yield return update;
            }

            yield break;
        }
    }

    private static ChatOptions ToChatOptions(CatalogModel model, bool anonymous)
    {
        var options = new ChatOptions
        {
            ModelId = model.ProviderModel,
            MaxOutputTokens = model.MaxOutputTokens,
            Temperature = model.Temperature,
            TopP = model.TopP,
        };
        if (anonymous && model.Provider.Kind == ProviderKind.Mock)
        {
            // Only the mock is told: an SDK might forward unknown properties to a real provider's API.
            options.AdditionalProperties = new() { [MockChatClient.AnonymousProperty] = true };
        }

        return options;
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

    private sealed record ProviderRequest(CatalogModel Model, IChatClient Client, List<ChatMessage> Messages, ChatOptions Options, string? ApiKey);

    /// One call to the provider, with its own observation of the wire and its own span. What it learns of the answer goes
    /// into the completion's state, which outlives it; its failure, if any, is left for the retry loop to judge, and only
    /// the attempt that is not retried finishes the completion.
    private sealed class Attempt(ProviderRequest request, CompletionState state, StreamDeadline deadline)
    {
        public StreamObservation Observation { get; } = new();

        public ProviderTelemetry Telemetry { get; } = ProviderTelemetry.Start(request.Model);

        public ProviderError? Error { get; private set; }

        private ProviderOptions Provider => request.Model.Provider;

        public async IAsyncEnumerable<CompletionUpdate> Run([EnumeratorCancellation] CancellationToken cancellationToken)
        {
            deadline.Arm(Provider.FirstChunkTimeout);
            await using (var updates = request.Client.GetStreamingResponseAsync(request.Messages, request.Options, deadline.Token).GetAsyncEnumerator(deadline.Token))
            {
                while (true)
                {
                    // Only the first move sends the request, so only it needs the observation (setting an AsyncLocal allocates).
                    var step = await MoveNextAsync(updates, state.Received ? null : Observation);
                    if (step.Exception is not null)
                    {
                        ThrowIfCancelled(cancellationToken);
                        Error = Classify(step.Exception, deadline.IsCancellationRequested);
                        break;
                    }

                    if (!step.HasUpdate)
                    {
                        break;
                    }

                    Arrived();
                    var update = updates.Current;
                    state.FinishReason = update.FinishReason ?? state.FinishReason;
                    state.ResponseModel ??= update.ModelId;
                    if (Observation.MayCarryUnmodelledReasoning && CompletionState.UnmodelledReasoning(update.RawRepresentation) is { } unmodelled)
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
            if (Error is null && Observation.SawError && !cancellationToken.IsCancellationRequested)
            {
                Error = ProviderErrors.FromErrorFrame(Observation, request.ApiKey);
            }
        }

        /// Ends the completion with this attempt's outcome: the tool calls still open, then exactly one terminal update.
        public async IAsyncEnumerable<CompletionUpdate> Finish(ILogger logger, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            // An SDK may end its enumeration quietly when its token fires; that is still the consumer's or the timeout's doing.
            ThrowIfCancelled(cancellationToken);
            var error = Error;
            if (error is null && deadline.IsCancellationRequested)
            {
                error = TimedOut();
            }

            while (error is null && state.TakeToolCall() is { } pending)
            {
                yield return pending;
            }

            var outcome = error is { } e ? new CompletionFailed(e.Code, e.Message, state.Usage) : Conclude();
            if (outcome is CompletionFailed failed)
            {
                LogFailure(logger, request.Model.Id, failed.Code, failed.Message, error?.Detail ?? "");
                Telemetry.End(state.ResponseModel, "error", state.Usage, failed.Code);
            }
            else
            {
                Telemetry.End(state.ResponseModel, ((CompletionFinished)outcome).Reason.ToString(), state.Usage, null);
            }

            yield return outcome;
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

        // The first chunk turns the first-chunk deadline into the idle one; every later chunk only moves it on.
        private void Arrived()
        {
            if (state.Received)
            {
                deadline.Progress();
            }
            else
            {
                state.Received = true;
                deadline.Arm(Provider.IdleTimeout);
            }
        }

        // The consumer's cancellation is thrown, never yielded as a failure, whatever the SDK made of it.
        private void ThrowIfCancelled(CancellationToken cancellationToken)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                Telemetry.End(state.ResponseModel, null, state.Usage, CompletionErrorCode.Cancelled);
                cancellationToken.ThrowIfCancellationRequested();
            }
        }

        private ProviderError Classify(Exception exception, bool deadlinePassed)
        {
            if (Observation.SawError)
            {
                return ProviderErrors.FromErrorFrame(Observation, request.ApiKey);
            }

            return deadlinePassed ? TimedOut() : ProviderErrors.Classify(exception, state.Received || Observation.SawStreamingResponse, request.ApiKey);
        }

        private ProviderError TimedOut() => state.Received
            ? new ProviderError(CompletionErrorCode.Timeout, $"The provider sent nothing for {Provider.IdleTimeout.TotalSeconds:0.###} s.", false)
            : new ProviderError(CompletionErrorCode.Timeout, $"The provider sent no first chunk within {Provider.FirstChunkTimeout.TotalSeconds:0.###} s.", false);

        private CompletionUpdate Conclude()
        {
            if (Observation.SawStreamingResponse && !Observation.SawEndMarker)
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

        private readonly record struct Step(bool HasUpdate, Exception? Exception);
    }
}
