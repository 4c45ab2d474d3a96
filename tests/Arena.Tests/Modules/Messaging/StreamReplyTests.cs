using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Arena.Modules.Providers.Mock;
using Arena.Tests.Support;

namespace Arena.Tests.Modules.Messaging;

public sealed class StreamReplyTests(MessagingApp app) : IClassFixture<MessagingApp>
{
    // A quote, a newline, a backslash and non-ASCII text: the mock echoes the prompt, so the reply carries all of them.
    private const string TrickyPrompt = "Say \"hi\"\nto the café \\ now";

    [Fact]
    public async Task StreamMessage_DirectDataProtocol_WritesExactBytes()
    {
        using var client = app.As("direct-data");
        var session = await app.CreateSessionAsync(client, MessagingApp.Fast);

        var (response, body) = await MessagingApp.StreamAsync(client, session, TrickyPrompt);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        AssertStreamHeaders(response);
        var reply = await AssistantAsync(client, session, "a");
        var usage = reply.GetProperty("metadata").GetProperty("usage");
        var expected = new StringBuilder();
        foreach (var chunk in MockChunks(MessagingApp.Fast, TrickyPrompt))
        {
            expected.Append("a0:{\"content\":\"").Append(Escape(chunk)).Append("\"}\n");
        }

        expected.Append($"ad:{{\"finishReason\":\"stop\",\"usage\":{{\"promptTokens\":{usage.GetProperty("prompt_tokens").GetInt64()},\"completionTokens\":{usage.GetProperty("completion_tokens").GetInt64()},\"cacheReadTokens\":null,\"cacheWriteTokens\":null,\"reasoningTokens\":null}},\"stored\":true}}\n");
        Assert.Equal(expected.ToString(), body);
        Assert.Contains("café", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StreamMessage_EndingLongBeforeTheKeepAliveInterval_EndsTheResponseAtOnce()
    {
        using var client = app.As("keep-alive-ends");
        var session = await app.CreateSessionAsync(client, MessagingApp.Fast);
        var watch = Stopwatch.StartNew();

        var (response, body) = await MessagingApp.StreamAsync(client, session, "Hello", protocol: "sse");

        // The keep-alive waits 15 s here and the stream's end cancels that wait; a wait that outlived its cancellation
        // would hold the response open until the interval passed.
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.EndsWith("event: done\ndata: {}\n\n", body, StringComparison.Ordinal);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"The response took {watch.Elapsed}.");
    }

    [Fact]
    public async Task StreamMessage_DirectSseProtocol_WritesExactBytes()
    {
        using var client = app.As("direct-sse");
        var session = await app.CreateSessionAsync(client, MessagingApp.Fast);

        var (response, body) = await MessagingApp.StreamAsync(client, session, TrickyPrompt, protocol: "sse");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        AssertStreamHeaders(response);
        var reply = await AssistantAsync(client, session, "a");
        var metadata = reply.GetProperty("metadata");
        var usage = metadata.GetProperty("usage");
        var id = 1;
        var expected = new StringBuilder("retry: 1000\n\n");
        expected.Append($"id: {id++}\nevent: start\ndata: {{\"participant\":\"a\",\"message_id\":\"{reply.GetProperty("id").GetGuid()}\",\"model\":\"fast-model\"}}\n\n");
        foreach (var chunk in MockChunks(MessagingApp.Fast, TrickyPrompt))
        {
            expected.Append($"id: {id++}\nevent: delta\ndata: {{\"participant\":\"a\",\"content\":\"{Escape(chunk)}\"}}\n\n");
        }

        expected.Append($"id: {id++}\nevent: finish\ndata: {{\"participant\":\"a\",\"finish_reason\":\"stop\",\"usage\":{{\"prompt_tokens\":{usage.GetProperty("prompt_tokens").GetInt64()},\"completion_tokens\":{usage.GetProperty("completion_tokens").GetInt64()},\"cache_read_tokens\":null,\"cache_write_tokens\":null,\"reasoning_tokens\":null}},\"ttft_ms\":{metadata.GetProperty("ttft_ms").GetInt64()},\"duration_ms\":{metadata.GetProperty("duration_ms").GetInt64()},\"stored\":true}}\n\n");
        expected.Append($"id: {id}\nevent: done\ndata: {{}}\n\n");
        Assert.Equal(expected.ToString(), body);
    }

    [Fact]
    public async Task StreamMessage_ProtocolHeaderWithAndWithoutTrailingSlash_ServeTheSameStream()
    {
        using var client = app.As("paths");
        foreach (var path in new[] { "/api/messages/stream", "/api/messages/stream/" })
        {
            var session = await app.CreateSessionAsync(client, MessagingApp.Fast);
            var request = MessagingApp.StreamRequest(session, "hello", path: path);
            request.Headers.Add("X-Arena-Protocol", "sse");

            using var response = await client.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("streaming", Assert.Single(response.Headers.GetValues("X-Arena-Pipeline")));
            Assert.StartsWith("retry: 1000\n\nid: 1\nevent: start\n", body, StringComparison.Ordinal);
            Assert.EndsWith("event: done\ndata: {}\n\n", body, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task StreamMessage_Direct_StoresUserMessageAndSuccessfulReply()
    {
        using var client = app.As("direct-rows");
        var session = await app.CreateSessionAsync(client, MessagingApp.Fast);

        await MessagingApp.StreamAsync(client, session, "Tell me something");

        var messages = await app.MessagesAsync(client, session);
        Assert.Equal(2, messages.Length);
        var (user, reply) = (messages[0], messages[1]);
        Assert.Equal("user", user.GetProperty("role").GetString());
        Assert.Equal("Tell me something", user.GetProperty("content").GetString());
        Assert.Equal("assistant", reply.GetProperty("role").GetString());
        Assert.Equal("success", reply.GetProperty("status").GetString());
        Assert.Equal("a", reply.GetProperty("participant").GetString());
        Assert.Equal("fast-model", reply.GetProperty("model").GetString());
        Assert.Equal(user.GetProperty("id").GetGuid(), reply.GetProperty("parent_id").GetGuid());
        Assert.Equal(MockChatClient.ComposeReply(MessagingApp.Fast, "Tell me something"), reply.GetProperty("content").GetString());
        var metadata = reply.GetProperty("metadata");
        Assert.Equal("stop", metadata.GetProperty("finish_reason").GetString());
        Assert.True(metadata.GetProperty("usage").GetProperty("completion_tokens").GetInt64() > 0);
        Assert.True(metadata.GetProperty("ttft_ms").GetInt64() >= 0);
        Assert.True(metadata.GetProperty("duration_ms").GetInt64() >= metadata.GetProperty("ttft_ms").GetInt64());
        Assert.Equal(JsonValueKind.Null, metadata.GetProperty("error").ValueKind);
    }

    [Fact]
    public async Task StreamMessage_CompareFastAndSlow_FastFinishesOnTheWireBeforeSlowFirstChunk()
    {
        using var client = app.As("compare-timing");
        var session = await app.CreateSessionAsync(client, MessagingApp.Fast, MessagingApp.Slow);

        var (response, body) = await MessagingApp.StreamAsync(client, session, "Race!");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var lines = body.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var aEnd = Array.FindIndex(lines, l => l.StartsWith("ad:", StringComparison.Ordinal));
        var bFirst = Array.FindIndex(lines, l => l.StartsWith("b0:", StringComparison.Ordinal));
        Assert.True(aEnd >= 0 && bFirst >= 0, body);
        // b's first chunk is produced 1.5 s after the start, a's last after about 80 ms: arrival order puts all of a first.
        Assert.True(aEnd < bFirst, body);
        Assert.StartsWith("bd:{\"finishReason\":\"stop\"", lines[^1], StringComparison.Ordinal);

        // Each participant's own chunks keep their order: joined, they are exactly the stored reply.
        var a = await AssistantAsync(client, session, "a");
        var b = await AssistantAsync(client, session, "b");
        Assert.Equal(a.GetProperty("content").GetString(), Joined(lines, "a0:"));
        Assert.Equal(b.GetProperty("content").GetString(), Joined(lines, "b0:"));
        Assert.Equal("success", a.GetProperty("status").GetString());
        Assert.Equal("success", b.GetProperty("status").GetString());
        Assert.Equal("slow-model", b.GetProperty("model").GetString());
    }

    [Fact]
    public async Task StreamMessage_CompareOneParticipantFails_OtherCompletesAndRowsSayWhich()
    {
        using var client = app.As("compare-failure");
        var session = await app.CreateSessionAsync(client, MessagingApp.Fast, MessagingApp.Down);

        var (response, body) = await MessagingApp.StreamAsync(client, session, "One of you is down");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var lines = body.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var error = JsonDocument.Parse(Assert.Single(lines, l => l.StartsWith("b3:", StringComparison.Ordinal))[3..]).RootElement.GetProperty("error");
        var bEnd = Array.FindIndex(lines, l => l.StartsWith("bd:", StringComparison.Ordinal));
        Assert.True(bEnd > Array.FindIndex(lines, l => l.StartsWith("b3:", StringComparison.Ordinal)), body);
        Assert.StartsWith("bd:{\"finishReason\":\"error\",\"usage\":null,\"stored\":true}", lines[bEnd], StringComparison.Ordinal);
        Assert.Single(lines, l => l.StartsWith("ad:{\"finishReason\":\"stop\"", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.StartsWith("b0:", StringComparison.Ordinal));

        var a = await AssistantAsync(client, session, "a");
        var b = await AssistantAsync(client, session, "b");
        Assert.Equal("success", a.GetProperty("status").GetString());
        Assert.Equal(Joined(lines, "a0:"), a.GetProperty("content").GetString());
        Assert.Equal("error", b.GetProperty("status").GetString());
        Assert.Equal("", b.GetProperty("content").GetString());
        var stored = b.GetProperty("metadata");
        Assert.Equal("error", stored.GetProperty("finish_reason").GetString());
        Assert.Equal(error.GetProperty("code").GetString(), stored.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(error.GetProperty("message").GetString(), stored.GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task StreamMessage_ThirdTurn_EachParticipantReceivesItsOwnHistory()
    {
        using var client = app.As("history");
        var session = await app.CreateSessionAsync(client, MessagingApp.Fast, MessagingApp.Fast2);

        await MessagingApp.StreamAsync(client, session, "First question");
        await MessagingApp.StreamAsync(client, session, "Second, longer question about the first answer");
        await MessagingApp.StreamAsync(client, session, "Third");

        var messages = await app.MessagesAsync(client, session);
        Assert.Equal(9, messages.Length);
        var users = messages.Where(m => m.GetProperty("role").GetString() == "user").Select(m => m.GetProperty("content").GetString()!).ToArray();
        Assert.Equal(["First question", "Second, longer question about the first answer", "Third"], users);
        foreach (var participant in new[] { "a", "b" })
        {
            var replies = messages.Where(m => m.GetProperty("participant").ValueKind == JsonValueKind.String && m.GetProperty("participant").GetString() == participant).ToArray();
            Assert.Equal(3, replies.Length);
            // The mock reports prompt tokens over every turn it received, so the third reply's count tells what history it got.
            string[] sent = [users[0], Content(replies[0]), users[1], Content(replies[1]), users[2]];
            var prompt = replies[2].GetProperty("metadata").GetProperty("usage").GetProperty("prompt_tokens").GetInt64();
            Assert.Equal(sent.Sum(MockTokens), prompt);
        }
    }

    [Fact]
    public async Task StreamMessage_ClientDisconnects_RowIsCancelledWithThePartialText()
    {
        using var client = app.Hasty("disconnect");
        var session = await app.CreateSessionAsync(client, MessagingApp.Slow);

        string received;
        using (var response = await client.SendAsync(MessagingApp.StreamRequest(session, "Take your time"), HttpCompletionOption.ResponseHeadersRead))
        {
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            var line = await reader.ReadLineAsync();
            Assert.NotNull(line);
            Assert.StartsWith("a0:", line, StringComparison.Ordinal);
            received = JsonDocument.Parse(line[3..]).RootElement.GetProperty("content").GetString()!;
        }

        var reply = await WaitForEndAsync(client, session, "a");
        Assert.Equal("cancelled", reply.GetProperty("status").GetString());
        // Exactly what the client saw: the upstream call stopped before the next chunk, 1.5 s later.
        Assert.Equal(received, reply.GetProperty("content").GetString());
        Assert.Equal("cancelled", reply.GetProperty("metadata").GetProperty("finish_reason").GetString());

        // The guard is released: the next message streams.
        var (next, _) = await MessagingApp.StreamAsync(client, session, "Again", path: "/api/messages/stream");
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
    }

    [Fact]
    public async Task StreamMessage_WhileStreaming_FlushesPartialContentAtTheInterval()
    {
        using var client = app.As("partial");
        var session = await app.CreateSessionAsync(client, MessagingApp.Slow);

        using var response = await client.SendAsync(MessagingApp.StreamRequest(session, "Write slowly"), HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var first = await reader.ReadLineAsync();
        Assert.NotNull(first);
        var chunk = JsonDocument.Parse(first[3..]).RootElement.GetProperty("content").GetString()!;

        // The first chunk comes 1.5 s in, past the 1 s flush interval, so it is written while the reply still streams.
        var reply = await Eventually.SettleAsync(() => AssistantAsync(client, session, "a"), r => r.GetProperty("content").GetString() != "", TimeSpan.FromSeconds(20));

        Assert.Equal("streaming", reply.GetProperty("status").GetString());
        Assert.StartsWith(chunk, reply.GetProperty("content").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeleteSession_WithMessages_DeletesTheMessages()
    {
        using var client = app.As("delete");
        var session = await app.CreateSessionAsync(client, MessagingApp.Fast);
        await MessagingApp.StreamAsync(client, session, "Remember this");
        Assert.Equal(2, await app.CountRowsAsync(session));

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/api/sessions/{session}")).StatusCode);

        Assert.Equal(0, await app.CountRowsAsync(session));
    }

    [Fact]
    public async Task ListMessages_AnotherUsersSession_AnswersNotFound()
    {
        using var owner = app.As("list-owner");
        using var other = app.As("list-other");
        var session = await app.CreateSessionAsync(owner, MessagingApp.Fast);
        await MessagingApp.StreamAsync(owner, session, "Private");

        await ProblemAssert.IsProblem(await other.GetAsync($"/api/sessions/{session}/messages"), HttpStatusCode.NotFound);
        await ProblemAssert.IsProblem(await owner.GetAsync($"/api/sessions/{Guid.NewGuid()}/messages"), HttpStatusCode.NotFound);
        Assert.Equal(2, (await app.MessagesAsync(owner, session)).Length);
    }

    internal static void AssertStreamHeaders(HttpResponseMessage response)
    {
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.True(response.Headers.CacheControl?.NoCache, "Cache-Control: no-cache");
        Assert.Equal("no", Assert.Single(response.Headers.GetValues("X-Accel-Buffering")));
        Assert.Equal("streaming", Assert.Single(response.Headers.GetValues("X-Arena-Pipeline")));
    }

    internal static Task<JsonElement> WaitForEndAsync(HttpClient client, Guid session, string participant) =>
        Eventually.UntilAsync(
            () => AssistantAsync(client, session, participant),
            reply => reply.GetProperty("status").GetString() != "streaming",
            reply => $"the reply of {participant} was still streaming: {reply}",
            TimeSpan.FromSeconds(20));

    internal static async Task<JsonElement> AssistantAsync(HttpClient client, Guid session, string participant)
    {
        var response = await client.GetAsync($"/api/sessions/{session}/messages");
        var items = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("items").EnumerateArray();
        return items.Last(m => m.GetProperty("role").GetString() == "assistant" && m.GetProperty("participant").GetString() == participant);
    }

    private static string Content(JsonElement message) => message.GetProperty("content").GetString()!;

    private static string Joined(string[] lines, string prefix) =>
        string.Concat(lines.Where(l => l.StartsWith(prefix, StringComparison.Ordinal)).Select(l => JsonDocument.Parse(l[prefix.Length..]).RootElement.GetProperty("content").GetString()));

    // The mock's documented behaviour: the reply in ChunkCount equal pieces, and about one token per four characters.
    private static IEnumerable<string> MockChunks(string model, string prompt) => MockChatClient.ComposeReply(model, prompt).Chunk((int)Math.Ceiling(MockChatClient.ComposeReply(model, prompt).Length / (double)MessagingApp.ChunkCount)).Select(c => new string(c));

    private static long MockTokens(string text) => text.Length == 0 ? 0 : 1 + (text.Length / 4);

    // JSON string escaping as the wire promises it: quotes, backslashes and newlines escaped, non-ASCII text raw.
    private static string Escape(string text) => text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}
