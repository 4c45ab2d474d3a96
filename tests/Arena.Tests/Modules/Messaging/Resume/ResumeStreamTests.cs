using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Arena.Tests.Modules.Providers;
using Arena.Tests.Support;
using Arena.Tests.Support.FakeUpstreams;

namespace Arena.Tests.Modules.Messaging.Resume;

public sealed class ResumeStreamTests : IClassFixture<ResumeApp>
{
    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(700);

    private readonly ResumeApp app;

    public ResumeStreamTests(ResumeApp app)
    {
        this.app = app;
        app.Server.Reset();
    }

    [Fact]
    public async Task Resume_CompareStreamDroppedMidTurn_LastEventIdContinuesWithoutGapOrDuplicate()
    {
        using var client = app.Hasty("resume-live");
        var session = await app.CreateSessionAsync(client, ResumeApp.PacedA, ResumeApp.PacedB);
        app.Server.Enqueue(ResumeApp.Paced("left", Pause), ResumeApp.Paced("right", Pause));

        var before = await ReadUntilFirstDeltaAsync(client, ResumeApp.ResumableRequest(session, "Count"));
        using var resume = new HttpRequestMessage(HttpMethod.Get, $"/api/sessions/{session}/stream");
        resume.Headers.Add("Last-Event-ID", $"{before[^1].Id}");
        using var response = await client.SendAsync(resume, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var after = await SseEvent.ReadAllAsync(new StreamReader(await response.Content.ReadAsStreamAsync()));

        await AssertWholeTurnAsync(client, session, [.. before, .. after]);
    }

    [Fact]
    public async Task Resume_AfterTurnEndedAtAnotherHost_StoredRowsReplayTheSameEventsAsMemory()
    {
        using var client = app.Hasty("resume-stored");
        var session = await app.CreateSessionAsync(client, ResumeApp.PacedA, ResumeApp.PacedB);
        app.Server.Enqueue(ResumeApp.Paced("left", Pause, ResumeApp.DetailedUsage()), ResumeApp.Paced("right", Pause));

        var before = await ReadUntilFirstDeltaAsync(client, ResumeApp.ResumableRequest(session, "Count"));
        var fromMemory = await FollowUntilStoredAsync(client, session);

        // The second Host never held the turn: it answers from the stored rows.
        using var second = app.AtSecond("resume-stored");
        using var resume = new HttpRequestMessage(HttpMethod.Get, $"/api/sessions/{session}/stream?last_event_id={before[^1].Id}");
        using var response = await second.SendAsync(resume, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var after = await SseEvent.ReadAllAsync(new StreamReader(await response.Content.ReadAsStreamAsync()));
        await AssertWholeTurnAsync(client, session, [.. before, .. after]);

        // The whole turn, from the first Host's memory and from the second's rows, is the same bytes, usage details included.
        var fromRows = await second.GetStringAsync($"/api/sessions/{session}/stream");
        Assert.Contains("\"cache_read_tokens\":3", fromRows);
        Assert.Equal(await fromMemory, fromRows);
        await AssertForgottenAndReplayedAsync(client, session, fromRows);
    }

    [Fact]
    public async Task Resume_ReasoningAndToolCallsEndedAtAnotherHost_StoredRowsReplayTheSameEventsAsMemory()
    {
        using var client = app.Hasty("resume-stored-thinking");
        var session = await app.CreateSessionAsync(client, ResumeApp.PacedA, ResumeApp.PacedB);
        // One participant thinks between its chunks of text, the other asks for two tools (their arguments cut anywhere).
        app.Server.Enqueue(Thinking(), FakeResponse.EventStream(ProviderFidelityTests.OpenAIToolCalls()));

        await ReadUntilFirstDeltaAsync(client, ResumeApp.ResumableRequest(session, "Think"));
        var fromMemory = await FollowUntilStoredAsync(client, session);

        using var second = app.AtSecond("resume-stored-thinking");
        var fromRows = await second.GetStringAsync($"/api/sessions/{session}/stream");
        Assert.Equal(3, fromRows.Split("event: reasoning\n").Length - 1);
        Assert.Equal(2, fromRows.Split("event: tool_call\n").Length - 1);
        Assert.Equal(await fromMemory, fromRows);
        await AssertForgottenAndReplayedAsync(client, session, fromRows);
    }

    [Fact]
    public async Task Resume_DataTurnWithReasoningAndToolCalls_EveryLineOnceFromLiveMemoryAndRows()
    {
        using var client = app.Hasty("resume-data-thinking");
        var session = await app.CreateSessionAsync(client, ResumeApp.PacedA, ResumeApp.PacedB);
        app.Server.Enqueue(Thinking(), FakeResponse.EventStream([FakeFrame.Delay(Pause), .. ProviderFidelityTests.OpenAIToolCalls()]));

        // Read live up to the first reasoning line, then drop: the position is the number of lines read.
        var body = JsonSerializer.Serialize(new { session_id = session, messages = new[] { new { role = "user", content = "Think" } }, resumable = true });
        var live = new List<string>();
        using (var started = await client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/api/messages/stream?protocol=data") { Content = new StringContent(body, Encoding.UTF8, "application/json") }, HttpCompletionOption.ResponseHeadersRead))
        {
            Assert.Equal(HttpStatusCode.OK, started.StatusCode);
            var reader = new StreamReader(await started.Content.ReadAsStreamAsync());
            while (await reader.ReadLineAsync() is { } line)
            {
                live.Add(line);
                if (line[1..].StartsWith("g:", StringComparison.Ordinal))
                {
                    break;
                }
            }
        }

        var tail = await DataLinesAsync(client, session, live.Count);
        var whole = await FollowUntilStoredAsync(client, session, "?protocol=data");
        string[] turn = [.. Lines(await whole)];

        // Every reasoning and tool-call line exactly once, in order: the lines read and the resume make the whole turn.
        // The upstream answers its calls in arrival order, so either participant may be the one that thinks.
        var thinker = live[^1][0];
        var caller = thinker == 'a' ? 'b' : 'a';
        Assert.Equal(["g", "g", "0", "g", "0", "d"], turn.Where(l => l[0] == thinker).Select(l => l[1..2]));
        Assert.Equal(["9", "9", "d"], turn.Where(l => l[0] == caller).Select(l => l[1..2]));
        Assert.Equal(turn, (string[])[.. live, .. tail]);
        var middle = turn.Length / 2;
        Assert.Equal(turn[middle..], await DataLinesAsync(client, session, middle));
        Assert.Equal([turn[^1]], await DataLinesAsync(client, session, turn.Length - 1));
        await AssertAtEndAsync(client, session, turn.Length);

        // The stored rows, at a Host that never held the turn, count the same lines.
        using var second = app.AtSecond("resume-data-thinking");
        Assert.Equal(turn, await DataLinesAsync(second, session, 0));
        Assert.Equal(turn[middle..], await DataLinesAsync(second, session, middle));
        Assert.Equal([turn[^1]], await DataLinesAsync(second, session, turn.Length - 1));
        await AssertAtEndAsync(second, session, turn.Length);
    }

    [Fact]
    public async Task Resume_BattleEndedAtAnotherHost_StoredRowsNameNoModelBeforeTheVote()
    {
        using var client = app.As("resume-battle");
        var created = await client.PostAsJsonAsync("/api/sessions", new { mode = "battle" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var session = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetGuid();
        using var response = await client.SendAsync(ResumeApp.ResumableRequest(session, "Who are you?"));
        var live = await response.Content.ReadAsStringAsync();
        await app.WaitForPositionsAsync(session, 2);

        using var second = app.AtSecond("resume-battle");
        var fromRows = await second.GetStringAsync($"/api/sessions/{session}/stream");

        var starts = (await SseEvent.ReadAllAsync(new StreamReader(new MemoryStream(Encoding.UTF8.GetBytes(fromRows))))).Where(e => e.Event == "start").ToList();
        Assert.Equal(2, starts.Count);
        Assert.All(starts, start => Assert.False(start.Data.TryGetProperty("model", out _), start.Raw));
        Assert.Equal(live, fromRows);
    }

    [Fact]
    public async Task Resume_AccessTokenInQuery_AuthenticatesTheResumeRouteOnly()
    {
        using var owner = app.As("resume-query-token");
        var session = await app.CreateSessionAsync(owner, MessagingApp.Fast);
        var (streamed, live) = await MessagingApp.StreamAsync(owner, session, "Hello", protocol: "sse");
        Assert.Equal(HttpStatusCode.OK, streamed.StatusCode);
        var token = Uri.EscapeDataString(TestTokens.For("resume-query-token"));
        using var browser = app.Anonymous();

        var resumed = await browser.GetAsync($"/api/sessions/{session}/stream?access_token={token}");
        var messages = await browser.GetAsync($"/api/sessions/{session}/messages?access_token={token}");
        var stop = await browser.PostAsync($"/api/sessions/{session}/stop?access_token={token}", null);
        var stranger = await browser.GetAsync($"/api/sessions/{session}/stream?access_token={Uri.EscapeDataString(TestTokens.For("resume-query-stranger"))}");
        var bare = await browser.GetAsync($"/api/sessions/{session}/stream");

        Assert.Equal(HttpStatusCode.OK, resumed.StatusCode);
        Assert.Equal(live, await resumed.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, messages.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, stop.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, stranger.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, bare.StatusCode);
    }

    [Fact]
    public async Task Resume_AtSecondHostWhileStreaming_ForwardsTheLiveTailFromTheFirst()
    {
        using var client = app.Hasty("resume-forward");
        var session = await app.CreateSessionAsync(client, ResumeApp.PacedA, ResumeApp.PacedB);
        app.Server.Enqueue(ResumeApp.Paced("left", TimeSpan.FromSeconds(2)), ResumeApp.Paced("right", TimeSpan.FromSeconds(2)));

        var before = await ReadUntilFirstDeltaAsync(client, ResumeApp.ResumableRequest(session, "Count"));
        using var second = app.AtSecond("resume-forward");
        using var resume = new HttpRequestMessage(HttpMethod.Get, $"/api/sessions/{session}/stream");
        resume.Headers.Add("Last-Event-ID", $"{before[^1].Id}");
        // The rows were streaming when the second Host looked (2 s pauses), so it forwarded rather than replaying them.
        using var response = await second.SendAsync(resume, HttpCompletionOption.ResponseHeadersRead);
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var first = await SseEvent.ReadAsync(reader);
        Assert.NotNull(first);
        var after = await SseEvent.ReadAllAsync(reader);

        await AssertWholeTurnAsync(client, session, [.. before, first, .. after]);
    }

    [Fact]
    public async Task Resume_TwoClientsFollowOneTurn_BothReadTheSameEvents()
    {
        using var client = app.As("resume-two");
        var session = await app.CreateSessionAsync(client, ResumeApp.PacedA, ResumeApp.PacedB);
        app.Server.Enqueue(ResumeApp.Paced("left", Pause), ResumeApp.Paced("right", Pause));

        using var started = await client.SendAsync(ResumeApp.ResumableRequest(session, "Count"), HttpCompletionOption.ResponseHeadersRead);
        var startedReader = new StreamReader(await started.Content.ReadAsStreamAsync());
        var firstEvent = await SseEvent.ReadAsync(startedReader);
        using var other = app.As("resume-two");
        var follower = other.GetStringAsync($"/api/sessions/{session}/stream");
        var rest = await startedReader.ReadToEndAsync();

        // Each response opens with its own retry field; the events are the same bytes.
        Assert.Equal("retry: 1000\n\n" + firstEvent!.Raw + rest, await follower);
        await AssertWholeTurnAsync(client, session, await SseEvent.ReadAllAsync(new StreamReader(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(await follower)))));
    }

    [Fact]
    public async Task Stop_ResumableTurnWithNoClientAttached_CancelsUpstreamAndSavesCancelled()
    {
        using var client = app.Hasty("stop-detached");
        var session = await app.CreateSessionAsync(client, ResumeApp.PacedA, ResumeApp.PacedB);
        app.Server.Enqueue(
            FakeResponse.EventStream(OpenAIStream.Role(), OpenAIStream.Content("Once upon "), FakeFrame.Stall),
            FakeResponse.EventStream(OpenAIStream.Role(), OpenAIStream.Content("Long ago "), FakeFrame.Stall));

        await ReadUntilFirstDeltaAsync(client, ResumeApp.ResumableRequest(session, "Tell me a long story"));
        // One side's first delta can reach the client before the other side's call reaches the upstream.
        IReadOnlyList<RecordedRequest> upstream = [await app.Server.NextRequestAsync(TimeSpan.FromSeconds(30)), await app.Server.NextRequestAsync(TimeSpan.FromSeconds(30))];
        // Nobody is attached, and the turn still runs: a resumable turn outlives its client.
        Assert.False(upstream[0].ClientGone.IsCompleted);

        var stop = await client.PostAsync($"/api/sessions/{session}/stop", null);
        Assert.Equal(HttpStatusCode.OK, stop.StatusCode);
        Assert.True(JsonDocument.Parse(await stop.Content.ReadAsStringAsync()).RootElement.GetProperty("stopped").GetBoolean());

        // Settled when stop answers: no waiting.
        var a = await StreamReplyTests.AssistantAsync(client, session, "a");
        var b = await StreamReplyTests.AssistantAsync(client, session, "b");
        Assert.Equal("cancelled", a.GetProperty("status").GetString());
        Assert.Equal("cancelled", b.GetProperty("status").GetString());
        var gone = await Task.WhenAny(Task.WhenAll(upstream[0].ClientGone, upstream[1].ClientGone), Task.Delay(TimeSpan.FromSeconds(10)));
        Assert.True(gone != null && upstream[0].ClientGone.IsCompleted && upstream[1].ClientGone.IsCompleted, "an upstream call ran on after stop");

        var replay = await SseEvent.ReadAllAsync(new StreamReader(await client.GetStreamAsync($"/api/sessions/{session}/stream")));
        Assert.Equal(["cancelled", "cancelled"], replay.Where(e => e.Event == "error").Select(e => e.Data.GetProperty("error").GetProperty("code").GetString()));
        Assert.Equal("done", replay[^1].Event);
        var texts = SseEvent.Texts(replay);
        Assert.Equal(a.GetProperty("content").GetString(), texts["a"]);
        Assert.Equal(b.GetProperty("content").GetString(), texts["b"]);

        var again = await client.PostAsync($"/api/sessions/{session}/stop", null);
        Assert.False(JsonDocument.Parse(await again.Content.ReadAsStringAsync()).RootElement.GetProperty("stopped").GetBoolean());
    }

    [Fact]
    public async Task Stop_AtSecondHost_CancelsTheTurnTheFirstGenerates()
    {
        using var client = app.As("stop-remote");
        var session = await app.CreateSessionAsync(client, ResumeApp.PacedA);
        app.Server.Enqueue(FakeResponse.EventStream(OpenAIStream.Role(), OpenAIStream.Content("Once upon "), FakeFrame.Stall));

        using var response = await client.SendAsync(MessagingApp.StreamRequest(session, "Tell me a long story", protocol: "sse"), HttpCompletionOption.ResponseHeadersRead);
        var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        while (await SseEvent.ReadAsync(reader) is { Event: not "delta" })
        {
        }

        using var second = app.AtSecond("stop-remote");
        var stop = await second.PostAsync($"/api/sessions/{session}/stop", null);
        Assert.Equal(HttpStatusCode.OK, stop.StatusCode);
        Assert.True(JsonDocument.Parse(await stop.Content.ReadAsStringAsync()).RootElement.GetProperty("stopped").GetBoolean());
        Assert.Equal("cancelled", (await StreamReplyTests.AssistantAsync(client, session, "a")).GetProperty("status").GetString());

        // The client that started the (non-resumable) turn reads its end: the cancelled error, then done.
        var rest = await SseEvent.ReadAllAsync(reader);
        Assert.Equal(["error", "done"], rest.Select(e => e.Event));
        Assert.Equal("cancelled", rest[0].Data.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task DeleteSession_WhileStreaming_StopsTheUpstreamCallsFirst()
    {
        using var client = app.Hasty("delete-streaming");
        var session = await app.CreateSessionAsync(client, ResumeApp.PacedA);
        app.Server.Enqueue(FakeResponse.EventStream(OpenAIStream.Role(), OpenAIStream.Content("Once upon "), FakeFrame.Stall));
        await ReadUntilFirstDeltaAsync(client, ResumeApp.ResumableRequest(session, "Tell me a long story"));
        var upstream = Assert.Single(app.Server.Requests);

        var deleted = await client.DeleteAsync($"/api/sessions/{session}");

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.True(upstream.ClientGone.IsCompleted, "the upstream call still ran when DELETE answered");
        Assert.Equal(0, await app.CountRowsAsync(session));
    }

    [Fact]
    public async Task Resume_NothingStreamed_Answers204()
    {
        using var client = app.As("resume-empty");
        var session = await app.CreateSessionAsync(client, ResumeApp.PacedA);

        var response = await client.GetAsync($"/api/sessions/{session}/stream");

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    [Fact]
    public async Task ResumeAndStop_AnotherUsersSession_Answer404LikeMissing()
    {
        using var owner = app.As("resume-owner");
        using var stranger = app.As("resume-stranger");
        var session = await app.CreateSessionAsync(owner, ResumeApp.PacedA);

        var resume = await stranger.GetAsync($"/api/sessions/{session}/stream");
        var stop = await stranger.PostAsync($"/api/sessions/{session}/stop", null);
        var missing = await stranger.GetAsync($"/api/sessions/{Guid.NewGuid()}/stream");

        Assert.Equal(HttpStatusCode.NotFound, resume.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, stop.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        var missingProblem = await ProblemAssert.IsProblem(missing, HttpStatusCode.NotFound);
        var resumeProblem = await ProblemAssert.IsProblem(resume, HttpStatusCode.NotFound);
        Assert.Equal(missingProblem.GetProperty("title").GetString(), resumeProblem.GetProperty("title").GetString());
    }

    [Fact]
    public async Task Resume_BadLastEventId_Answers400NamingTheField()
    {
        using var client = app.As("resume-bad-id");
        var session = await app.CreateSessionAsync(client, ResumeApp.PacedA);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/sessions/{session}/stream");
        request.Headers.Add("Last-Event-ID", "abc");

        var response = await client.SendAsync(request);

        await ProblemAssert.NamesFields(response, "Last-Event-ID");
    }

    [Fact]
    public async Task StreamMessage_ResumableOnLegacy_Answers400NamingTheFieldAndStoresNothing()
    {
        using var client = app.As("resume-legacy");
        var session = await app.CreateSessionAsync(client, ResumeApp.PacedA);
        var request = ResumeApp.ResumableRequest(session, "Hello");
        request.Headers.Add("X-Arena-Pipeline", "legacy");

        var response = await client.SendAsync(request);

        await ProblemAssert.NamesFields(response, "resumable");
        Assert.Equal(0, await app.CountRowsAsync(session));
    }

    /// The whole turn as the first Host's memory serves it: followed from the start while it still runs, since an ended
    /// turn whose rows replay it is dropped from memory once they are stored. Returns once both replies ended and their
    /// positions are stored; the task completes with the turn's last event.
    private async Task<Task<string>> FollowUntilStoredAsync(HttpClient client, Guid session, string query = "")
    {
        var fromMemory = client.GetStringAsync($"/api/sessions/{session}/stream{query}");
        await StreamReplyTests.WaitForEndAsync(client, session, "a");
        await StreamReplyTests.WaitForEndAsync(client, session, "b");
        await app.WaitForPositionsAsync(session, 2);
        return fromMemory;
    }

    /// The rows replay the turn exactly, so the first Host lets it go once they are stored, and then serves the same bytes.
    private async Task AssertForgottenAndReplayedAsync(HttpClient client, Guid session, string fromRows)
    {
        await app.WaitUntilForgottenAsync(session);
        Assert.Equal(fromRows, await client.GetStringAsync($"/api/sessions/{session}/stream"));
    }

    /// A reply that thinks between its chunks of text, pausing after its first piece of reasoning and its first chunk.
    private static FakeResponse Thinking() => FakeResponse.EventStream(
        OpenAIStream.Role(),
        OpenAIStream.Reasoning("Weighing "),
        FakeFrame.Delay(Pause),
        OpenAIStream.Reasoning("it \"twice\" é."),
        OpenAIStream.Content("So: "),
        FakeFrame.Delay(Pause),
        OpenAIStream.Reasoning("Once more."),
        OpenAIStream.Content("yes."),
        OpenAIStream.Finish(),
        OpenAIStream.Usage(5, 4),
        OpenAIStream.Done);

    /// The data protocol's lines of the session's turn after the first <paramref name="after"/> ones.
    private static async Task<string[]> DataLinesAsync(HttpClient client, Guid session, int after)
    {
        using var response = await client.GetAsync($"/api/sessions/{session}/stream?protocol=data&last_event_id={after}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return Lines(await response.Content.ReadAsStringAsync());
    }

    /// A client that has the last line is told the turn is over, past it too: 204, as an EventSource needs to stop.
    private static async Task AssertAtEndAsync(HttpClient client, Guid session, int lines)
    {
        foreach (var after in new[] { lines, lines + 5 })
        {
            using var response = await client.GetAsync($"/api/sessions/{session}/stream?protocol=data&last_event_id={after}");
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        }
    }

    private static string[] Lines(string body) => body.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    /// Starts the stream and reads it up to its first delta, then drops the connection.
    private static async Task<List<SseEvent>> ReadUntilFirstDeltaAsync(HttpClient client, HttpRequestMessage request)
    {
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var events = new List<SseEvent>();
        while (await SseEvent.ReadAsync(reader) is { } next)
        {
            events.Add(next);
            if (next.Event == "delta")
            {
                break;
            }
        }

        request.Dispose();
        return events;
    }

    /// Every id from 1 to the last exactly once, in order, ending with done; the texts are the stored replies byte for byte.
    private async Task AssertWholeTurnAsync(HttpClient client, Guid session, IReadOnlyList<SseEvent> events)
    {
        Assert.Equal(Enumerable.Range(1, events.Count).Select(i => (long)i), events.Select(e => e.Id));
        Assert.Equal("done", events[^1].Event);
        var texts = SseEvent.Texts(events);
        foreach (var participant in texts.Keys)
        {
            var reply = await StreamReplyTests.WaitForEndAsync(client, session, participant);
            Assert.Equal("success", reply.GetProperty("status").GetString());
            Assert.Equal(reply.GetProperty("content").GetString(), texts[participant]);
        }

        Assert.Equal(["a", "b"], texts.Keys.Order());
    }
}
