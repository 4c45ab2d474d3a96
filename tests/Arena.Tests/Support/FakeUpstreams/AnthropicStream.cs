using System.Text.Json;

namespace Arena.Tests.Support.FakeUpstreams;

/// Frames of an Anthropic Messages event stream (<c>event: name\ndata: {json}\n\n</c>), as the API sends them.
public static class AnthropicStream
{
    public static FakeFrame Event(string name, object payload) =>
        FakeFrame.Text("event: " + name + "\ndata: " + JsonSerializer.Serialize(payload, OpenAIStream.Json) + "\n\n");

    public static FakeFrame MessageStart(int inputTokens = 11, string model = "claude-test") => Event("message_start", new
    {
        type = "message_start",
        message = new
        {
            id = "msg_fake",
            type = "message",
            role = "assistant",
            model,
            content = Array.Empty<object>(),
            stop_reason = (string?)null,
            stop_sequence = (string?)null,
            usage = new { input_tokens = inputTokens, cache_creation_input_tokens = 0, cache_read_input_tokens = 0, output_tokens = 1 },
        },
    });

    public static FakeFrame TextBlockStart(int index = 0) =>
        Event("content_block_start", new { type = "content_block_start", index, content_block = new { type = "text", text = "" } });

    public static FakeFrame ThinkingBlockStart(int index = 0) =>
        Event("content_block_start", new { type = "content_block_start", index, content_block = new { type = "thinking", thinking = "", signature = "" } });

    public static FakeFrame Ping { get; } = Event("ping", new { type = "ping" });

    public static FakeFrame TextDelta(string text, int index = 0) =>
        Event("content_block_delta", new { type = "content_block_delta", index, delta = new { type = "text_delta", text } });

    public static FakeFrame ThinkingDelta(string thinking, int index = 0) =>
        Event("content_block_delta", new { type = "content_block_delta", index, delta = new { type = "thinking_delta", thinking } });

    public static FakeFrame BlockStop(int index = 0) => Event("content_block_stop", new { type = "content_block_stop", index });

    /// The final delta: stop reason and the cumulative output token count.
    public static FakeFrame MessageDelta(string stopReason = "end_turn", int outputTokens = 7) => Event("message_delta", new
    {
        type = "message_delta",
        delta = new { stop_reason = stopReason, stop_sequence = (string?)null },
        usage = new { output_tokens = outputTokens },
    });

    public static FakeFrame MessageStop { get; } = Event("message_stop", new { type = "message_stop" });

    /// The error event Anthropic sends when a stream fails after it started (e.g. overloaded).
    public static FakeFrame Error(string message, string type = "overloaded_error") =>
        Event("error", new { type = "error", error = new { type, message } });

    public static string ErrorBody(string message, string type) =>
        JsonSerializer.Serialize(new { type = "error", error = new { type, message }, request_id = "req_fake" });

    /// A whole successful stream with one text block.
    public static IEnumerable<FakeFrame> Completion(IEnumerable<string> chunks, string stopReason = "end_turn", int inputTokens = 11, int outputTokens = 7)
    {
        yield return MessageStart(inputTokens);
        yield return TextBlockStart();
        yield return Ping;
        foreach (var chunk in chunks)
        {
            yield return TextDelta(chunk);
        }

        yield return BlockStop();
        yield return MessageDelta(stopReason, outputTokens);
        yield return MessageStop;
    }
}
