using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.RegularExpressions;
using Arena.Modules.Providers.Contracts;
using Microsoft.Extensions.AI;

namespace Arena.Modules.Providers.Mock;

/// A provider that needs no key: its reply is a pure function of the model id and the last user message,
/// so two mock models answer the same prompt differently and every run answers it the same way.
/// Markers in the last user message change its behaviour for that prompt only (so a demo or a test can
/// provoke a failure without reconfiguring the Host):
/// <c>[mock:fail-before-first]</c> fails before any chunk (code unavailable);
/// <c>[mock:fail-after:N]</c> fails after N chunks (code unavailable);
/// <c>[mock:stall]</c> sends nothing and never ends (the first-chunk timeout or the client ends it);
/// <c>[mock:stall-after:N]</c> sends N chunks, then stalls (the idle timeout ends it);
/// <c>[mock:length]</c> ends with finish reason length instead of stop;
/// <c>[mock:identify]</c> names the model even in an anonymous battle (so the identity-leak guard can be tested).
/// In an anonymous battle (<see cref="AnonymousProperty"/> set on the options) the reply does not open with the model id.
/// The same failures can be set for every prompt in <see cref="MockOptions"/>.
internal sealed partial class MockChatClient(string modelId, MockOptions settings) : IChatClient
{
    /// Set to true in <see cref="ChatOptions.AdditionalProperties"/> when the reply is for a battle whose models are hidden.
    public const string AnonymousProperty = "arena.anonymous";

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
        var behaviour = Behaviour.From(prompt, settings);
        var anonymous = options?.AdditionalProperties is { } extra && extra.TryGetValue(AnonymousProperty, out bool hidden) && hidden;
        var reply = ComposeReply(modelId, prompt, nameSelf: !anonymous || behaviour.Identify);
        var chunks = Split(reply, Math.Max(1, settings.ChunkCount));

        if (behaviour.FailBeforeFirst)
        {
            throw new MockProviderException(CompletionErrorCode.Unavailable, "The mock provider was told to fail before the first chunk.");
        }

        for (var index = 0; index < chunks.Count; index++)
        {
            if (index == behaviour.FailAfter)
            {
                throw new MockProviderException(CompletionErrorCode.Unavailable, $"The mock provider was told to fail after {index} chunks.");
            }

            if (index == behaviour.StallAfter)
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);
            }

            await Task.Delay(settings.ChunkInterval, cancellationToken);
            yield return new ChatResponseUpdate(ChatRole.Assistant, chunks[index]) { ModelId = modelId };
        }

        var promptTokens = history.Sum(m => CountTokens(m.Text));
        yield return new ChatResponseUpdate
        {
            Role = ChatRole.Assistant,
            ModelId = modelId,
            FinishReason = behaviour.Length ? ChatFinishReason.Length : ChatFinishReason.Stop,
            Contents = [new UsageContent(new UsageDetails { InputTokenCount = promptTokens, OutputTokenCount = CountTokens(reply), TotalTokenCount = promptTokens + CountTokens(reply) })],
        };
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
    }

    internal static string ComposeReply(string modelId, string prompt, bool nameSelf = true)
    {
        // The seed keeps the model id, so two anonymous mocks still answer the same prompt differently.
        var seed = Fnv1a(modelId + "\n" + prompt);
        var builder = new StringBuilder();
        if (nameSelf)
        {
            builder.Append(modelId).Append(" here. ");
        }

        builder.Append("You said: \"").Append(prompt.Length > 120 ? prompt[..120] + "…" : prompt).Append("\".");
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

    [GeneratedRegex(@"\[mock:(?<name>fail-before-first|fail-after|stall|stall-after|length|identify)(?::(?<count>\d+))?\]", RegexOptions.CultureInvariant)]
    private static partial Regex Marker();

    private readonly record struct Behaviour(bool FailBeforeFirst, int FailAfter, int StallAfter, bool Length, bool Identify)
    {
        public static Behaviour From(string prompt, MockOptions settings)
        {
            var behaviour = new Behaviour(settings.FailBeforeFirstChunk, settings.FailAfterChunks ?? -1, settings.StallAfterChunks ?? -1, false, false);
            foreach (Match match in Marker().Matches(prompt))
            {
                var count = match.Groups["count"].Success ? int.Parse(match.Groups["count"].Value, CultureInfo.InvariantCulture) : 0;
                behaviour = match.Groups["name"].Value switch
                {
                    "fail-before-first" => behaviour with { FailBeforeFirst = true },
                    "fail-after" => behaviour with { FailAfter = count },
                    "stall" => behaviour with { StallAfter = 0 },
                    "stall-after" => behaviour with { StallAfter = count },
                    "identify" => behaviour with { Identify = true },
                    _ => behaviour with { Length = true },
                };
            }

            return behaviour;
        }
    }
}
