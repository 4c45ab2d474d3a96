using System.Net;
using System.Text.RegularExpressions;
using Arena.Tests.Support.FakeUpstreams;

namespace Arena.Tests.Modules.Messaging;

/// The wire formats byte for byte, from provider output scripted at the upstream rather than derived from the mock:
/// what an existing client of the old service parses must not drift, whichever pipeline serves it.
public sealed partial class ScriptedWireFormatTests : IClassFixture<UpstreamMessagingApp>
{
    // A multi-byte letter, escaped quotes, a newline, a backslash, a tab and a character outside Latin-1.
    private static readonly string[] Chunks = ["Hel", "lo \"wörld\"\n", "\\ tab\there ✓"];

    private readonly UpstreamMessagingApp app;

    public ScriptedWireFormatTests(UpstreamMessagingApp app)
    {
        this.app = app;
        app.Server.Reset();
    }

    [Theory]
    [InlineData("streaming")]
    [InlineData("legacy")]
    public async Task StreamMessage_ScriptedUpstreamDataProtocol_WritesTheOldServiceFormatExactly(string pipeline)
    {
        using var client = app.As($"scripted-data-{pipeline}");
        var session = await app.CreateSessionAsync(client, UpstreamMessagingApp.Upstream);
        app.Server.Enqueue(FakeResponse.EventStream(OpenAIStream.Completion(Chunks, promptTokens: 11, completionTokens: 7)));

        var (response, body) = await MessagingApp.StreamAsync(client, session, "Greet the world", pipeline: pipeline);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(pipeline, Assert.Single(response.Headers.GetValues("X-Arena-Pipeline")));
        Assert.Equal(
            "a0:{\"content\":\"Hel\"}\n" +
            "a0:{\"content\":\"lo \\\"wörld\\\"\\n\"}\n" +
            "a0:{\"content\":\"\\\\ tab\\there ✓\"}\n" +
            "ad:{\"finishReason\":\"stop\",\"usage\":{\"promptTokens\":11,\"completionTokens\":7,\"cacheReadTokens\":null,\"cacheWriteTokens\":null,\"reasoningTokens\":null},\"stored\":true}\n",
            body);
    }

    [Theory]
    [InlineData("streaming")]
    [InlineData("legacy")]
    public async Task StreamMessage_ScriptedUpstreamSseProtocol_WritesStandardEventsExactly(string pipeline)
    {
        using var client = app.As($"scripted-sse-{pipeline}");
        var session = await app.CreateSessionAsync(client, UpstreamMessagingApp.Upstream);
        app.Server.Enqueue(FakeResponse.EventStream(OpenAIStream.Completion(Chunks, promptTokens: 11, completionTokens: 7)));

        var (response, body) = await MessagingApp.StreamAsync(client, session, "Greet the world", protocol: "sse", pipeline: pipeline);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var reply = (await app.MessagesAsync(client, session))[1];
        Assert.Equal(string.Concat(Chunks), reply.GetProperty("content").GetString());
        // Only the message id and the two timings vary from run to run; they are checked against the stored row.
        var normalized = Timings().Replace(body.Replace(reply.GetProperty("id").GetGuid().ToString(), "MESSAGE-ID", StringComparison.Ordinal), "\"ttft_ms\":T,\"duration_ms\":D");
        Assert.Equal(
            "retry: 1000\n\n" +
            "id: 1\nevent: start\ndata: {\"participant\":\"a\",\"message_id\":\"MESSAGE-ID\",\"model\":\"upstream-model\"}\n\n" +
            "id: 2\nevent: delta\ndata: {\"participant\":\"a\",\"content\":\"Hel\"}\n\n" +
            "id: 3\nevent: delta\ndata: {\"participant\":\"a\",\"content\":\"lo \\\"wörld\\\"\\n\"}\n\n" +
            "id: 4\nevent: delta\ndata: {\"participant\":\"a\",\"content\":\"\\\\ tab\\there ✓\"}\n\n" +
            "id: 5\nevent: finish\ndata: {\"participant\":\"a\",\"finish_reason\":\"stop\",\"usage\":{\"prompt_tokens\":11,\"completion_tokens\":7,\"cache_read_tokens\":null,\"cache_write_tokens\":null,\"reasoning_tokens\":null},\"ttft_ms\":T,\"duration_ms\":D,\"stored\":true}\n\n" +
            "id: 6\nevent: done\ndata: {}\n\n",
            normalized);
        var metadata = reply.GetProperty("metadata");
        Assert.Contains($"\"ttft_ms\":{metadata.GetProperty("ttft_ms").GetInt64()},\"duration_ms\":{metadata.GetProperty("duration_ms").GetInt64()}", body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("streaming")]
    [InlineData("legacy")]
    public async Task StreamMessage_ProviderSendsNul_DroppedSoTheReplyIsStoredWhole(string pipeline)
    {
        using var client = app.As($"scripted-nul-{pipeline}");
        var session = await app.CreateSessionAsync(client, UpstreamMessagingApp.Upstream);
        app.Server.Enqueue(FakeResponse.EventStream(OpenAIStream.Completion(["before\0", "\0after"])));

        var (response, body) = await MessagingApp.StreamAsync(client, session, "Say something odd", pipeline: pipeline);

        // PostgreSQL cannot store U+0000; keeping it would make every write of the reply fail and block the session.
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain("\\u0000", body, StringComparison.Ordinal);
        var reply = (await app.MessagesAsync(client, session))[1];
        Assert.Equal("success", reply.GetProperty("status").GetString());
        Assert.Equal("beforeafter", reply.GetProperty("content").GetString());
    }

    [GeneratedRegex("\"ttft_ms\":\\d+,\"duration_ms\":\\d+")]
    private static partial Regex Timings();
}
