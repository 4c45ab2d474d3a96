using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Arena.Tests.Support;

namespace Arena.Tests.Modules.Messaging;

/// The legacy pipeline (threads, BlockingCollection, synchronous writes) and the streaming pipeline (async, channel)
/// serve one contract: the same bytes, the same checks and the same rows, told apart only by X-Arena-Pipeline.
public sealed partial class PipelineParityTests(MessagingApp app) : IClassFixture<MessagingApp>
{
    // Pipeline names, chosen per request through the gateway's override header.
    private const string Streaming = "streaming";
    private const string Legacy = "legacy";
    private const string PublicPath = "/api/messages/stream";

    [Theory]
    [InlineData("data")]
    [InlineData("sse")]
    public async Task Pipelines_DirectStream_WriteIdenticalBytes(string protocol)
    {
        using var client = app.As($"parity-direct-{protocol}");
        var prompt = "Same \"prompt\"\nfor both, ça va?";

        var (streamingResponse, streamingBody) = await MessagingApp.StreamAsync(client, await app.CreateSessionAsync(client, MessagingApp.Fast), prompt, protocol, pipeline: Streaming);
        var (legacyResponse, legacyBody) = await MessagingApp.StreamAsync(client, await app.CreateSessionAsync(client, MessagingApp.Fast), prompt, protocol, pipeline: Legacy);

        Assert.Equal("streaming", Assert.Single(streamingResponse.Headers.GetValues("X-Arena-Pipeline")));
        Assert.Equal("legacy", Assert.Single(legacyResponse.Headers.GetValues("X-Arena-Pipeline")));
        Assert.Equal(HttpStatusCode.OK, legacyResponse.StatusCode);
        Assert.Equal(streamingResponse.Content.Headers.ContentType?.ToString(), legacyResponse.Content.Headers.ContentType?.ToString());
        Assert.Equal(streamingResponse.Headers.CacheControl?.ToString(), legacyResponse.Headers.CacheControl?.ToString());
        Assert.Equal("no", Assert.Single(legacyResponse.Headers.GetValues("X-Accel-Buffering")));
        // Only the message ids and the measured timings may differ between two runs.
        Assert.Equal(Normalize(streamingBody), Normalize(legacyBody));
        Assert.Contains("ça va", legacyBody, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("data")]
    [InlineData("sse")]
    public async Task Pipelines_CompareStream_KeepIdenticalEventsPerParticipant(string protocol)
    {
        using var client = app.As($"parity-compare-{protocol}");

        var (_, streamingBody) = await MessagingApp.StreamAsync(client, await app.CreateSessionAsync(client, MessagingApp.Fast, MessagingApp.Fast2), "Compare us", protocol, pipeline: Streaming);
        var (legacyResponse, legacyBody) = await MessagingApp.StreamAsync(client, await app.CreateSessionAsync(client, MessagingApp.Fast, MessagingApp.Fast2), "Compare us", protocol, pipeline: Legacy);

        Assert.Equal(HttpStatusCode.OK, legacyResponse.StatusCode);
        foreach (var participant in new[] { "a", "b" })
        {
            var streamingEvents = EventsOf(Normalize(streamingBody), protocol, participant);
            Assert.NotEmpty(streamingEvents);
            Assert.Equal(streamingEvents, EventsOf(Normalize(legacyBody), protocol, participant));
        }

        if (protocol == "sse")
        {
            Assert.Equal(Ids(streamingBody), Ids(legacyBody));
            Assert.EndsWith("event: done\ndata: {}\n\n", legacyBody, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Pipelines_SuccessAndError_LeaveIdenticalRows()
    {
        using var client = app.As("parity-rows");
        var streamingSession = await app.CreateSessionAsync(client, MessagingApp.Fast, MessagingApp.Down);
        var legacySession = await app.CreateSessionAsync(client, MessagingApp.Fast, MessagingApp.Down);

        await MessagingApp.StreamAsync(client, streamingSession, "Rows please", pipeline: Streaming);
        await MessagingApp.StreamAsync(client, legacySession, "Rows please", pipeline: Legacy);

        var streamingRows = await RowsAsync(client, streamingSession);
        Assert.Equal(["user:success", "assistant:a:success", "assistant:b:error"], streamingRows.Select(r => r.Split('|')[0]));
        Assert.Equal(streamingRows, await RowsAsync(client, legacySession));
    }

    [Fact]
    public async Task Pipelines_ClientDisconnect_LeaveIdenticalCancelledRows()
    {
        using var client = app.Hasty("parity-cancel");
        var rows = new List<string[]>();
        foreach (var pipeline in new[] { Streaming, Legacy })
        {
            var session = await app.CreateSessionAsync(client, MessagingApp.Slow);
            using (var response = await client.SendAsync(MessagingApp.StreamRequest(session, "Stop me", pipeline: pipeline), HttpCompletionOption.ResponseHeadersRead))
            {
                using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
                Assert.StartsWith("a0:", await reader.ReadLineAsync(), StringComparison.Ordinal);
            }

            await StreamReplyTests.WaitForEndAsync(client, session, "a");
            rows.Add(await RowsAsync(client, session));
        }

        Assert.Equal(["user:success", "assistant:a:cancelled"], rows[0].Select(r => r.Split('|')[0]));
        Assert.Equal(rows[0], rows[1]);
    }

    [Fact]
    public async Task LegacyPipeline_ChecksAndStreamGuard_AreShared()
    {
        using var client = app.As("parity-checks");
        var session = await app.CreateSessionAsync(client, MessagingApp.Slow);

        var invalid = await client.SendAsync(new HttpRequestMessage(HttpMethod.Post, PublicPath)
        {
            Content = new StringContent("{\"session_id\":\"nope\"}", System.Text.Encoding.UTF8, "application/json"),
            Headers = { { "X-Arena-Pipeline", Legacy } },
        });
        await ProblemAssert.NamesFields(invalid, "session_id", "messages");
        Assert.Equal("legacy", Assert.Single(invalid.Headers.GetValues("X-Arena-Pipeline")));
        await ProblemAssert.IsProblem(await client.SendAsync(MessagingApp.StreamRequest(Guid.NewGuid(), "hi", pipeline: Legacy)), HttpStatusCode.NotFound);

        // A stream running on one pipeline blocks the other: the guard is in the database.
        using var running = await client.SendAsync(MessagingApp.StreamRequest(session, "first", pipeline: Streaming), HttpCompletionOption.ResponseHeadersRead);
        await ProblemAssert.IsProblem(await client.SendAsync(MessagingApp.StreamRequest(session, "second", pipeline: Legacy)), HttpStatusCode.Conflict);
        Assert.Equal(2, await app.CountRowsAsync(session));
    }

    private async Task<string[]> RowsAsync(HttpClient client, Guid session)
    {
        var messages = await app.MessagesAsync(client, session);
        var userId = messages.Single(m => m.GetProperty("role").GetString() == "user").GetProperty("id").GetGuid();
        return [.. messages.Select(m =>
        {
            var role = m.GetProperty("role").GetString();
            var participant = m.GetProperty("participant").ValueKind == JsonValueKind.String ? m.GetProperty("participant").GetString() + ":" : "";
            var parentOk = role == "user" ? m.GetProperty("parent_id").ValueKind == JsonValueKind.Null : m.GetProperty("parent_id").GetGuid() == userId;
            var metadata = m.GetProperty("metadata");
            var stored = metadata.ValueKind == JsonValueKind.Null
                ? "no metadata"
                : $"{metadata.GetProperty("finish_reason")}|{metadata.GetProperty("usage").GetRawText()}|{metadata.GetProperty("error").GetRawText()}|ttft:{metadata.GetProperty("ttft_ms").ValueKind}";
            return $"{role}:{participant}{m.GetProperty("status").GetString()}|{m.GetProperty("model")}|{m.GetProperty("content").GetString()}|parent:{parentOk}|{stored}";
        })];
    }

    private static string Normalize(string body) =>
        Timings().Replace(MessageIds().Replace(body, "\"message_id\":\"…\""), "\"$1\":…");

    private static List<string> EventsOf(string body, string protocol, string participant) => protocol == "data"
        ? [.. body.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith(participant, StringComparison.Ordinal))]
        : [.. body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Where(e => e.Contains($"\"participant\":\"{participant}\"", StringComparison.Ordinal))
            .Select(e => string.Join('\n', e.Split('\n').Where(l => !l.StartsWith("id: ", StringComparison.Ordinal))))];

    private static List<string> Ids(string body) => [.. body.Split('\n').Where(l => l.StartsWith("id: ", StringComparison.Ordinal))];

    [GeneratedRegex("\"message_id\":\"[0-9a-f-]+\"")]
    private static partial Regex MessageIds();

    [GeneratedRegex("\"(ttft_ms|duration_ms)\":(\\d+|null)")]
    private static partial Regex Timings();
}
