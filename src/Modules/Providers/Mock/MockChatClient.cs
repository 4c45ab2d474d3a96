using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Extensions.AI;

namespace Arena.Modules.Providers.Mock;

internal sealed class MockOptions
{
    public int ChunkCount { get; set; } = 12;

    public TimeSpan ChunkInterval { get; set; } = TimeSpan.FromMilliseconds(40);
}

/// A provider that needs no key: its reply is a pure function of the model id and the last user message,
/// so two mock models answer the same prompt differently and every run answers it the same way.
internal sealed class MockChatClient(string modelId, MockOptions settings) : IChatClient
{
    private static readonly string[] Words =
    [
        "arena", "model", "stream", "token", "answer", "compare", "latency", "prompt", "context", "signal",
        "careful", "quick", "steady", "bright", "plain", "curious", "measured", "honest", "useful", "short",
    ];

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        await GetStreamingResponseAsync(messages, options, cancellationToken).ToChatResponseAsync(cancellationToken);

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages,
        ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var history = messages.ToList();
        var prompt = history.LastOrDefault(m => m.Role == ChatRole.User)?.Text ?? "";
        var reply = ComposeReply(modelId, prompt);
        var chunks = Split(reply, Math.Max(1, settings.ChunkCount));

        foreach (var chunk in chunks)
        {
            await Task.Delay(settings.ChunkInterval, cancellationToken);
            yield return new ChatResponseUpdate(ChatRole.Assistant, chunk) { ModelId = modelId };
        }

        var promptTokens = history.Sum(m => CountTokens(m.Text));
        yield return new ChatResponseUpdate
        {
            Role = ChatRole.Assistant,
            ModelId = modelId,
            FinishReason = ChatFinishReason.Stop,
            Contents = [new UsageContent(new UsageDetails { InputTokenCount = promptTokens, OutputTokenCount = CountTokens(reply), TotalTokenCount = promptTokens + CountTokens(reply) })],
        };
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
    }

    internal static string ComposeReply(string modelId, string prompt)
    {
        var seed = Fnv1a(modelId + "\n" + prompt);
        var builder = new StringBuilder();
        builder.Append(modelId).Append(" here. You said: \"").Append(prompt.Length > 120 ? prompt[..120] + "…" : prompt).Append("\".");
        var sentences = 2 + (int)(seed % 3);
        for (var s = 0; s < sentences; s++)
        {
            builder.Append(' ');
            var length = 5 + (int)((seed >> (s * 4)) % 6);
            for (var w = 0; w < length; w++)
            {
                seed = seed * 6364136223846793005UL + 1442695040888963407UL;
                var word = Words[(int)(seed >> 33) % Words.Length];
                builder.Append(w == 0 ? char.ToUpperInvariant(word[0]) + word[1..] : word).Append(w == length - 1 ? "." : " ");
            }
        }

        return builder.ToString();
    }

    private static List<string> Split(string text, int count)
    {
        var size = (int)Math.Ceiling(text.Length / (double)count);
        var parts = new List<string>(count);
        for (var start = 0; start < text.Length; start += size)
        {
            parts.Add(text.Substring(start, Math.Min(size, text.Length - start)));
        }

        return parts;
    }

    private static int CountTokens(string text) => text.Length == 0 ? 0 : 1 + (text.Length / 4);

    private static ulong Fnv1a(string text)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in text)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        return hash;
    }
}
