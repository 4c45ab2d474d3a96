using System.Runtime.CompilerServices;
using Arena.Modules.Providers.Contracts;
using Arena.Modules.Providers.Domain;
using Mediator;
using Microsoft.Extensions.AI;

namespace Arena.Modules.Providers.Features;

internal sealed class StreamCompletionHandler(ModelCatalog catalog, ChatClientFactory clients) : IStreamQueryHandler<StreamCompletion, CompletionUpdate>
{
    public async IAsyncEnumerable<CompletionUpdate> Handle(StreamCompletion query, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var model = catalog.Find(query.ModelId);
        if (model is null)
        {
            yield return new CompletionFailed(CompletionErrorCode.BadRequest, $"Model '{query.ModelId}' is not in the catalog.");
            yield break;
        }

        using var client = clients.Create(model);
        var messages = query.Messages.Select(ToChatMessage).ToList();
        var options = new ChatOptions { ModelId = model.ProviderModel, MaxOutputTokens = model.MaxOutputTokens };

        ChatFinishReason? finishReason = null;
        TokenUsage? usage = null;
        await using var updates = client.GetStreamingResponseAsync(messages, options, cancellationToken).GetAsyncEnumerator(cancellationToken);
        while (true)
        {
            CompletionFailed? failure = null;
            bool more;
            try
            {
                more = await updates.MoveNextAsync();
            }
            catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                failure = new CompletionFailed(CompletionErrorCode.Unknown, exception.Message, usage);
                more = false;
            }

            if (failure is not null)
            {
                yield return failure;
                yield break;
            }

            if (!more)
            {
                break;
            }

            var update = updates.Current;
            finishReason = update.FinishReason ?? finishReason;
            foreach (var content in update.Contents)
            {
                switch (content)
                {
                    case TextContent { Text.Length: > 0 } text:
                        yield return new CompletionText(text.Text);
                        break;
                    case TextReasoningContent { Text.Length: > 0 } reasoning:
                        yield return new CompletionReasoning(reasoning.Text);
                        break;
                    case UsageContent { Details: var details }:
                        usage = new TokenUsage(details.InputTokenCount ?? 0, details.OutputTokenCount ?? 0);
                        break;
                }
            }
        }

        yield return new CompletionFinished(ToFinishReason(finishReason), usage);
    }

    private static ChatMessage ToChatMessage(ChatTurn turn) => new(
        turn.Role switch
        {
            ChatTurnRole.System => ChatRole.System,
            ChatTurnRole.Assistant => ChatRole.Assistant,
            _ => ChatRole.User,
        },
        turn.Content);

    private static FinishReason ToFinishReason(ChatFinishReason? reason)
    {
        if (reason == ChatFinishReason.Length)
        {
            return FinishReason.Length;
        }

        if (reason == ChatFinishReason.ContentFilter)
        {
            return FinishReason.ContentFilter;
        }

        return reason == ChatFinishReason.ToolCalls ? FinishReason.ToolCalls : FinishReason.Stop;
    }
}
