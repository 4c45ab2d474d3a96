using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace Arena.Modules.Providers.Streaming;

/// Sits right above the SDK client so that the layers above it (the OpenTelemetry client logs the exception and puts
/// it on the span) never see provider text unredacted: OpenAI's 401, for one, quotes the key's prefix and last four
/// characters. Failures come out as <see cref="ProviderCallException"/>, which keeps the original for classification.
internal sealed class RedactingChatClient(IChatClient inner, string? apiKey) : DelegatingChatClient(inner)
{
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        try
        {
            return await base.GetResponseAsync(messages, options, cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            throw new ProviderCallException(exception, apiKey);
        }
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages,
        ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var updates = base.GetStreamingResponseAsync(messages, options, cancellationToken).GetAsyncEnumerator(cancellationToken);
        while (true)
        {
            ChatResponseUpdate update;
            try
            {
                if (!await updates.MoveNextAsync())
                {
                    yield break;
                }

                update = updates.Current;
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                throw new ProviderCallException(exception, apiKey);
            }

            yield return update;
        }
    }
}
