using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Arena.Tests.Modules.Messaging;
using Arena.Tests.Modules.Messaging.Resume;
using Arena.Tests.Support;
using Xunit.Abstractions;

namespace Arena.Tests.Clients;

/// The SSE clients people take from npm, `eventsource` and `@microsoft/fetch-event-source`, run by Node against the Host
/// through a proxy that restarts mid-turn: each must come back by itself with what it already has, end with the stored
/// replies, and stop once the turn is over instead of asking again.
public sealed class NpmClientsTests(NpmClientsApp app, ITestOutputHelper output) : IClassFixture<NpmClientsApp>
{
    private static readonly TimeSpan ClientPatience = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task EventSource_ProxyRestartedMidTurn_GetsEveryEventOnceAndStopsOn204AfterDone()
    {
        const string user = "npm-eventsource";
        using var client = Client(user);
        var session = await app.CreateSessionAsync(client, "mock-swift", "mock-sage");
        await StartResumableTurnAsync(client, session, "Why does an EventSource need ids?");
        await using var proxy = FaultProxy.Start(app.BaseAddress);
        var url = new Uri(proxy.Address, $"api/sessions/{session}/stream?access_token={Uri.EscapeDataString(TestTokens.For(user))}");

        await using var node = NodeClient.Start("eventsource-follow.mjs", new Dictionary<string, string> { ["ARENA_URL"] = url.ToString() });
        await node.WaitForAsync(BothMidAnswer, "the EventSource never saw both replies begin");
        proxy.Restart();
        var result = await ResultAsync(node);

        Assert.Equal("done", result.GetProperty("ended").GetString());
        var requests = Requests(result);
        var beforeDone = requests.Where(r => !r.GetProperty("after_done").GetBoolean()).ToList();
        // The cut came mid-turn: `done` arrived on a connection the library opened again by itself, with the last id it had.
        Assert.True(beforeDone.Count >= 2, $"{beforeDone.Count} requests before done");
        Assert.All(beforeDone.Skip(1), r => Assert.False(r.GetProperty("last_event_id").ValueKind == JsonValueKind.Null));
        await AssertTurnAsync(client, session, result);

        // After `done` the server closes the stream and the EventSource reconnects with the final id: 204 must end it for good.
        var afterDone = requests.Where(r => r.GetProperty("after_done").GetBoolean()).Select(Status).ToList();
        Assert.Equal([204], afterDone);
        Assert.Equal(2, result.GetProperty("ready_state_at_end").GetInt32());
    }

    [Fact]
    public async Task FetchEventSource_ProxyRestartedMidPost_RetriesWithTheIdempotencyKeyIntoTheSameTurnAndStopsAfterDone()
    {
        const string user = "npm-fetch-event-source";
        using var client = Client(user);
        var session = await app.CreateSessionAsync(client, "mock-swift", "mock-sage");
        var key = Guid.NewGuid().ToString();
        await using var proxy = FaultProxy.Start(app.BaseAddress);
        var body = JsonSerializer.Serialize(new { session_id = session, messages = new[] { new { role = "user", content = "Why does a POST need a key?" } }, resumable = true });

        await using var node = NodeClient.Start("fetch-event-source-post.mjs", new Dictionary<string, string>
        {
            ["ARENA_URL"] = new Uri(proxy.Address, "api/messages/stream/?protocol=sse").ToString(),
            ["ARENA_TOKEN"] = TestTokens.For(user),
            ["ARENA_BODY"] = body,
            ["ARENA_IDEMPOTENCY_KEY"] = key,
        });
        await node.WaitForAsync(BothMidAnswer, "fetch-event-source never saw both replies begin");
        proxy.Restart();
        var result = await ResultAsync(node);

        Assert.Equal("closed", result.GetProperty("ended").GetString());
        var requests = Requests(result);
        Assert.True(requests.Count >= 2, $"{requests.Count} requests: the restart did not cut the stream");
        Assert.All(requests, r => Assert.Equal(key, r.GetProperty("idempotency_key").GetString()));
        // The library sends the same POST again, with the last id it saw: the server must continue the same turn after it.
        Assert.All(requests.Skip(1), r => Assert.False(r.GetProperty("last_event_id").ValueKind == JsonValueKind.Null));
        var statuses = requests.Select(Status).ToList();
        Assert.True(statuses.All(s => s == 200), $"statuses {string.Join(", ", statuses)}: every retry of the key should be answered with the turn's stream");
        await AssertTurnAsync(client, session, result);
        Assert.DoesNotContain(requests, r => r.GetProperty("after_done").GetBoolean());
    }

    private HttpClient Client(string user)
    {
        var client = new HttpClient(new SocketsHttpHandler { MaxResponseDrainSize = 0 }) { BaseAddress = app.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TestTokens.For(user));
        return client;
    }

    /// Every id from 1 to `done`'s once, in order; each participant's deltas add up to its stored reply; and the session
    /// holds this one turn: one user message and one successful reply per participant.
    private async Task AssertTurnAsync(HttpClient client, Guid session, JsonElement result)
    {
        var events = result.GetProperty("events").EnumerateArray().ToList();
        var ids = events.Select(e => e.GetProperty("id").GetInt64()).ToList();
        var final = events.Last(e => e.GetProperty("event").GetString() == "done").GetProperty("id").GetInt64();
        Assert.Equal(Enumerable.Range(1, (int)final).Select(i => (long)i), ids);

        var messages = await app.MessagesAsync(client, session);
        Assert.Equal(["user", "assistant", "assistant"], messages.Select(m => m.GetProperty("role").GetString()));
        foreach (var participant in new[] { "a", "b" })
        {
            var stored = await StreamReplyTests.AssistantAsync(client, session, participant);
            Assert.Equal("success", stored.GetProperty("status").GetString());
            var streamed = string.Concat(events
                .Where(e => e.GetProperty("event").GetString() == "delta" && e.GetProperty("data").GetProperty("participant").GetString() == participant)
                .Select(e => e.GetProperty("data").GetProperty("content").GetString()));
            Assert.Equal(stored.GetProperty("content").GetString(), streamed);
        }
    }

    private async Task<JsonElement> ResultAsync(NodeClient node)
    {
        var result = await node.ResultAsync(ClientPatience);
        output.WriteLine(string.Join('\n', node.Progress));
        output.WriteLine(result.GetRawText());
        return result;
    }

    private static bool BothMidAnswer(IReadOnlyList<string> progress) => NodeClient.Deltas(progress, "a") >= 2 && NodeClient.Deltas(progress, "b") >= 2;

    private static List<JsonElement> Requests(JsonElement result) => [.. result.GetProperty("requests").EnumerateArray()];

    private static int Status(JsonElement request) => request.GetProperty("status").ValueKind == JsonValueKind.Number ? request.GetProperty("status").GetInt32() : 0;

    /// Starts a resumable turn, reads its first event and leaves: the turn runs on without a client.
    private static async Task StartResumableTurnAsync(HttpClient client, Guid session, string prompt)
    {
        using var request = ResumeApp.ResumableRequest(session, prompt);
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotNull(await SseEvent.ReadAsync(new StreamReader(await response.Content.ReadAsStreamAsync())));
    }
}
