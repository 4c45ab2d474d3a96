using System.Text.Encodings.Web;
using System.Text.Json;

namespace Arena.Tests.Support.FakeUpstreams;

/// Frames of an OpenAI <c>chat.completion.chunk</c> event stream, byte for byte as the API sends them
/// (<c>data: {json}\n\n</c>; non-ASCII text raw UTF-8, as OpenAI writes it).
public static class OpenAIStream
{
    internal static readonly JsonSerializerOptions Json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private const string Id = "chatcmpl-fake";
    private const long Created = 1_700_000_000;

    public static FakeFrame Data(object payload) => FakeFrame.Text("data: " + JsonSerializer.Serialize(payload, Json) + "\n\n");

    /// The first chunk: the assistant role with empty content.
    public static FakeFrame Role(string model = "gpt-test") => Chunk(model, new { role = "assistant", content = "", refusal = (string?)null }, null);

    /// A content chunk, with a field clients must ignore.
    public static FakeFrame Content(string text, string model = "gpt-test") => Chunk(model, new { content = text }, null);

    public static FakeFrame Reasoning(string text, string model = "gpt-test") => Chunk(model, new { reasoning_content = text }, null);

    /// The finish chunk: empty delta and a finish reason.
    public static FakeFrame Finish(string reason = "stop", string model = "gpt-test") => Chunk(model, new { }, reason);

    /// The usage chunk sent with <c>stream_options.include_usage</c>: empty choices.
    public static FakeFrame Usage(int promptTokens, int completionTokens, string model = "gpt-test") => Data(new
    {
        id = Id,
        @object = "chat.completion.chunk",
        created = Created,
        model,
        system_fingerprint = "fp_fake",
        choices = Array.Empty<object>(),
        usage = new { prompt_tokens = promptTokens, completion_tokens = completionTokens, total_tokens = promptTokens + completionTokens },
    });

    public static FakeFrame Done { get; } = FakeFrame.Text("data: [DONE]\n\n");

    /// The error frame OpenAI (and most compatible servers) send when a stream fails after it started.
    public static FakeFrame Error(string message, string type = "server_error", string? code = null) =>
        Data(new { error = new { message, type, param = (string?)null, code } });

    /// A comment line, as OpenRouter sends to keep a connection open.
    public static FakeFrame Comment(string text = "OPENROUTER PROCESSING") => FakeFrame.Text(": " + text + "\n\n");

    /// A compatible server's chunk that carries usage on every chunk, as some of them do.
    public static FakeFrame ContentWithUsage(string text, int promptTokens, int completionTokens, string? finishReason = null, string model = "gpt-test") => Data(new
    {
        id = Id,
        @object = "chat.completion.chunk",
        created = Created,
        model,
        choices = new[] { new { index = 0, delta = new { content = text }, logprobs = (object?)null, finish_reason = finishReason } },
        usage = new { prompt_tokens = promptTokens, completion_tokens = completionTokens, total_tokens = promptTokens + completionTokens },
    });

    /// A whole successful stream: role, the chunks, finish, usage, <c>[DONE]</c>.
    public static IEnumerable<FakeFrame> Completion(IEnumerable<string> chunks, string finishReason = "stop", int promptTokens = 11, int completionTokens = 7)
    {
        yield return Role();
        foreach (var chunk in chunks)
        {
            yield return Content(chunk);
        }

        yield return Finish(finishReason);
        yield return Usage(promptTokens, completionTokens);
        yield return Done;
    }

    private static FakeFrame Chunk(string model, object delta, string? finishReason) => Data(new
    {
        id = Id,
        @object = "chat.completion.chunk",
        created = Created,
        model,
        system_fingerprint = "fp_fake",
        service_tier = "default",
        choices = new[] { new { index = 0, delta, logprobs = (object?)null, finish_reason = finishReason } },
        usage = (object?)null,
        obfuscation = "x1y2",
    });
}
