using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Arena.Tests.Modules.Messaging.Resume;
using Arena.Tests.Support.FakeUpstreams;

namespace Arena.Tests.Modules.Messaging;

/// Four models, <c>up-a</c> to <c>up-d</c>, each served by the real OpenAI client from a fake upstream of its own, so that
/// every request a participant sends is recorded apart from the others'.
public sealed class FourUpstreamsApp : MessagingApp, IAsyncLifetime
{
    public static readonly string[] Letters = ["a", "b", "c", "d"];

    public FakeUpstream[] Servers { get; } = [.. Letters.Select(_ => FakeUpstream.Start())];

    public static string Model(string letter) => $"up-{letter}";

    protected override void Configure(IDictionary<string, string?> settings)
    {
        base.Configure(settings);
        for (var i = 0; i < Letters.Length; i++)
        {
            var letter = Letters[i];
            settings[$"Arena:Providers:fake-{letter}:Kind"] = "openai";
            settings[$"Arena:Providers:fake-{letter}:BaseUrl"] = Servers[i].OpenAIBaseUrl.ToString();
            settings[$"Arena:Providers:fake-{letter}:ApiKey"] = "sk-fake-key";
            settings[$"Arena:Models:{Model(letter)}:Provider"] = $"fake-{letter}";
            settings[$"Arena:Models:{Model(letter)}:ProviderModel"] = $"gpt-{letter}";
        }
    }

    public async Task<Guid> CreateCompareAsync(HttpClient client, params string[] models)
    {
        var response = await client.PostAsJsonAsync("/api/sessions", new { mode = "compare", models });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetGuid();
    }

    public new async Task DisposeAsync()
    {
        await base.DisposeAsync();
        foreach (var server in Servers)
        {
            await server.DisposeAsync();
        }
    }
}

public sealed class CompareFourTests : IClassFixture<FourUpstreamsApp>
{
    private static readonly string[] AllFour = [.. FourUpstreamsApp.Letters.Select(FourUpstreamsApp.Model)];

    private readonly FourUpstreamsApp app;

    public CompareFourTests(FourUpstreamsApp app)
    {
        this.app = app;
        foreach (var server in app.Servers)
        {
            server.Reset();
        }
    }

    [Fact]
    public async Task CompareFour_ResumableSseTurn_InterleavesAllFourThenResumesFromTheMiddleToTheStoredText()
    {
        using var client = app.Hasty("four-resume");
        var session = await app.CreateCompareAsync(client, AllFour);
        var gate = new TaskCompletionSource();
        for (var i = 0; i < 4; i++)
        {
            var letter = FourUpstreamsApp.Letters[i];
            app.Servers[i].Enqueue(FakeResponse.EventStream(
                OpenAIStream.Role(), OpenAIStream.Content($"{letter} one "), FakeFrame.Until(gate.Task), OpenAIStream.Content($"{letter} two"),
                OpenAIStream.Finish(), OpenAIStream.Usage(10 + i, 2 + i), OpenAIStream.Done));
        }

        var seen = new List<SseEvent>();
        using (var response = await client.SendAsync(ResumeApp.ResumableRequest(session, "Four at once"), HttpCompletionOption.ResponseHeadersRead))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            while (seen.Where(e => e.Event == "delta").Select(e => e.Participant).Distinct().Count() < 4)
            {
                seen.Add(await SseEvent.ReadAsync(reader) ?? throw new InvalidOperationException("the stream ended before every participant's first chunk"));
            }
        }

        // Every participant's first chunk reached the client while none of them had ended.
        Assert.DoesNotContain(seen, e => e.Event is "finish" or "error" or "done");
        gate.SetResult();

        var resume = new HttpRequestMessage(HttpMethod.Get, $"/api/sessions/{session}/stream?protocol=sse");
        resume.Headers.Add("Last-Event-ID", $"{seen[^1].Id}");
        using var resumed = await client.SendAsync(resume, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, resumed.StatusCode);
        var rest = await SseEvent.ReadAllAsync(new StreamReader(await resumed.Content.ReadAsStreamAsync()));

        var all = seen.Concat(rest).ToList();
        Assert.Equal(Enumerable.Range(1, all.Count).Select(i => (long)i), all.Select(e => e.Id));
        Assert.Equal("done", all[^1].Event);
        Assert.Equal(4, rest.Count(e => e.Event == "finish"));
        var replies = (await app.MessagesAsync(client, session)).Where(m => m.GetProperty("role").GetString() == "assistant").ToList();
        Assert.Equal(FourUpstreamsApp.Letters, replies.Select(r => r.GetProperty("participant").GetString()).Order());
        foreach (var reply in replies)
        {
            var letter = reply.GetProperty("participant").GetString()!;
            var index = Array.IndexOf(FourUpstreamsApp.Letters, letter);
            Assert.Equal("success", reply.GetProperty("status").GetString());
            Assert.Equal(FourUpstreamsApp.Model(letter), reply.GetProperty("model").GetString());
            Assert.Equal($"{letter} one {letter} two", reply.GetProperty("content").GetString());
            Assert.Equal(2 + index, reply.GetProperty("metadata").GetProperty("usage").GetProperty("completion_tokens").GetInt32());
            Assert.Equal(reply.GetProperty("content").GetString(), string.Concat(all.Where(e => e.Event == "delta" && e.Participant == letter).Select(e => e.Data.GetProperty("content").GetString())));
        }
    }

    [Theory]
    [InlineData("streaming")]
    [InlineData("legacy")]
    public async Task CompareFour_StopMidTurn_EndsAllFourKeepingWhatArrived(string pipeline)
    {
        using var client = app.As($"four-stop-{pipeline}");
        var session = await app.CreateCompareAsync(client, AllFour);
        var gate = new TaskCompletionSource();
        for (var i = 0; i < 4; i++)
        {
            app.Servers[i].Enqueue(FakeResponse.EventStream(
                OpenAIStream.Role(), OpenAIStream.Content($"{FourUpstreamsApp.Letters[i]} so far"), FakeFrame.Until(gate.Task), OpenAIStream.Content(" never sent"),
                OpenAIStream.Finish(), OpenAIStream.Done));
        }

        try
        {
            using var response = await client.SendAsync(MessagingApp.StreamRequest(session, "Four, then stop", pipeline: pipeline), HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            var lines = new List<string>();
            while (FourUpstreamsApp.Letters.Any(l => !lines.Contains($"{l}0:{{\"content\":\"{l} so far\"}}")))
            {
                lines.Add(await reader.ReadLineAsync() ?? throw new InvalidOperationException("the stream ended before every participant's first chunk"));
            }

            if (pipeline == "legacy")
            {
                // The old design's cost, kept on purpose: every participant blocks a thread of its own.
                var threads = Directory.GetDirectories("/proc/self/task").Select(task => File.ReadAllText(Path.Combine(task, "comm")).Trim()).ToList();
                Assert.All(FourUpstreamsApp.Letters, letter => Assert.Contains($"arena-legacy-{letter}", threads));
            }

            Assert.Equal(HttpStatusCode.OK, (await client.PostAsync($"/api/sessions/{session}/stop", null)).StatusCode);
            while (await reader.ReadLineAsync() is { } line)
            {
                lines.Add(line);
            }

            // An attached client reads each unfinished participant's end as an error of code cancelled.
            Assert.Equal(
                FourUpstreamsApp.Letters.Select(l => $"{l}3:cancelled"),
                lines.Where(l => l[1] == '3').Select(l => $"{l[..3]}{JsonDocument.Parse(l[3..]).RootElement.GetProperty("error").GetProperty("code").GetString()}").Order());
        }
        finally
        {
            gate.TrySetResult();
        }

        foreach (var letter in FourUpstreamsApp.Letters)
        {
            var reply = await StreamReplyTests.WaitForEndAsync(client, session, letter);
            Assert.Equal("cancelled", reply.GetProperty("status").GetString());
            Assert.Equal($"{letter} so far", reply.GetProperty("content").GetString());
        }
    }

    [Theory]
    [InlineData("streaming")]
    [InlineData("legacy")]
    public async Task CompareFour_ThreeTurns_EachUpstreamReceivesTheUserMessagesAndItsOwnRepliesOnly(string pipeline)
    {
        using var client = app.As($"four-isolation-{pipeline}");
        var session = await app.CreateCompareAsync(client, AllFour);
        string[] prompts = ["First question", "Second question", "Third question"];
        for (var i = 0; i < 4; i++)
        {
            for (var turn = 1; turn <= 3; turn++)
            {
                app.Servers[i].Enqueue(FakeResponse.EventStream(OpenAIStream.Completion([$"{FourUpstreamsApp.Letters[i]}{turn} ", "answer"])));
            }
        }

        foreach (var prompt in prompts)
        {
            var (response, _) = await MessagingApp.StreamAsync(client, session, prompt, pipeline: pipeline);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        for (var i = 0; i < 4; i++)
        {
            var letter = FourUpstreamsApp.Letters[i];
            var received = app.Servers[i].Requests;
            Assert.Equal(3, received.Count);
            for (var turn = 1; turn <= 3; turn++)
            {
                var expected = Conversation(prompts.Take(turn - 1).Select((p, t) => (p, $"{letter}{t + 1} answer")), prompts[turn - 1]);
                Assert.Equal(expected, received[turn - 1].Json.GetProperty("messages").GetRawText());
                Assert.Equal($"gpt-{letter}", received[turn - 1].Json.GetProperty("model").GetString());
            }
        }
    }

    [Fact]
    public async Task CompareSameModelTwice_ThreeTurns_EachParticipantReceivesItsOwnRepliesOnly()
    {
        using var client = app.As("four-twins");
        var twin = FourUpstreamsApp.Model("a");
        var session = await app.CreateCompareAsync(client, twin, twin, FourUpstreamsApp.Model("b"));
        // The twins' requests race, so each answer is different and whichever participant got it must be sent it back.
        for (var n = 1; n <= 6; n++)
        {
            app.Servers[0].Enqueue(FakeResponse.EventStream(OpenAIStream.Completion([$"sample {n}"])));
        }

        for (var turn = 1; turn <= 3; turn++)
        {
            app.Servers[1].Enqueue(FakeResponse.EventStream(OpenAIStream.Completion([$"other {turn}"])));
        }

        string[] prompts = ["One", "Two", "Three"];
        foreach (var prompt in prompts)
        {
            var (response, _) = await MessagingApp.StreamAsync(client, session, prompt);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var messages = await app.MessagesAsync(client, session);
        string ReplyOf(string participant, int turn)
        {
            var user = messages.Where(m => m.GetProperty("role").GetString() == "user").ElementAt(turn - 1).GetProperty("id").GetString();
            return messages.Single(m => m.GetProperty("parent_id").GetString() == user && m.GetProperty("participant").GetString() == participant).GetProperty("content").GetString()!;
        }

        Assert.All(Enumerable.Range(1, 3), turn => Assert.NotEqual(ReplyOf("a", turn), ReplyOf("b", turn)));
        var received = app.Servers[0].Requests;
        Assert.Equal(6, received.Count);
        for (var turn = 1; turn <= 3; turn++)
        {
            var expected = new[] { "a", "b" }
                .Select(p => Conversation(prompts.Take(turn - 1).Select((prompt, t) => (prompt, ReplyOf(p, t + 1))), prompts[turn - 1]))
                .Order();
            var sent = received.Skip((turn - 1) * 2).Take(2).Select(r => r.Json.GetProperty("messages").GetRawText()).Order();
            Assert.Equal(expected, sent);
        }
    }

    [Fact]
    public async Task ForkSession_OneParticipantOfFour_NewDirectSessionContinuesItsOwnSideOnly()
    {
        using var client = app.As("four-fork");
        var session = await app.CreateCompareAsync(client, AllFour);
        for (var i = 0; i < 4; i++)
        {
            var letter = FourUpstreamsApp.Letters[i];
            app.Servers[i].Enqueue(FakeResponse.EventStream(OpenAIStream.Completion([$"{letter}1 answer"])));
            app.Servers[i].Enqueue(letter == "c"
                ? FakeResponse.EventStream(OpenAIStream.Role(), OpenAIStream.Error("The model is overloaded."))
                : FakeResponse.EventStream(OpenAIStream.Completion([$"{letter}2 answer"])));
        }

        await MessagingApp.StreamAsync(client, session, "First");
        await MessagingApp.StreamAsync(client, session, "Second");
        var before = await app.MessagesAsync(client, session);

        var forked = await client.PostAsJsonAsync($"/api/sessions/{session}/fork", new { participant = "c" });

        Assert.Equal(HttpStatusCode.Created, forked.StatusCode);
        var fork = JsonDocument.Parse(await forked.Content.ReadAsStringAsync()).RootElement;
        var forkId = fork.GetProperty("id").GetGuid();
        Assert.Equal($"/api/sessions/{forkId}", forked.Headers.Location?.OriginalString);
        Assert.Equal("direct", fork.GetProperty("mode").GetString());
        Assert.Equal(FourUpstreamsApp.Model("c"), fork.GetProperty("model_a").GetString());
        Assert.False(fork.TryGetProperty("model_b", out _));
        var copied = await app.MessagesAsync(client, forkId);
        Assert.Equal(
            ["user First", $"assistant a {FourUpstreamsApp.Model("c")} c1 answer", "user Second"],
            copied.Select(m => m.GetProperty("role").GetString() == "user"
                ? $"user {m.GetProperty("content").GetString()}"
                : $"assistant {m.GetProperty("participant").GetString()} {m.GetProperty("model").GetString()} {m.GetProperty("content").GetString()}"));
        Assert.Equal(copied[0].GetProperty("id").GetString(), copied[1].GetProperty("parent_id").GetString());
        Assert.Equal(before.Select(m => m.GetRawText()), (await app.MessagesAsync(client, session)).Select(m => m.GetRawText()));

        app.Servers[2].Enqueue(FakeResponse.EventStream(OpenAIStream.Completion(["c3 answer"])));
        var (next, body) = await MessagingApp.StreamAsync(client, forkId, "Third");
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        Assert.Contains("a0:{\"content\":\"c3 answer\"}", body, StringComparison.Ordinal);
        Assert.Equal(
            """[{"role":"user","content":"First"},{"role":"assistant","content":"c1 answer"},{"role":"user","content":"Second"},{"role":"user","content":"Third"}]""",
            app.Servers[2].Requests[^1].Json.GetProperty("messages").GetRawText());
    }

    [Theory]
    [InlineData("""{"participant":"d"}""", "participant")]
    [InlineData("""{"participant":"e"}""", "participant")]
    [InlineData("""{"participant":"A"}""", "participant")]
    [InlineData("""{}""", "participant")]
    [InlineData("""{"participant":"a","title":""}""", "title")]
    public async Task ForkSession_InvalidParticipant_ProblemNamesTheFieldAndNothingIsCreated(string body, string field)
    {
        using var client = app.As($"four-fork-invalid-{Math.Abs(body.GetHashCode(StringComparison.Ordinal))}");
        var session = await app.CreateCompareAsync(client, FourUpstreamsApp.Model("a"), FourUpstreamsApp.Model("b"), FourUpstreamsApp.Model("c"));

        var response = await client.PostAsync($"/api/sessions/{session}/fork", new StringContent(body, Encoding.UTF8, "application/json"));

        await Arena.Tests.Support.ProblemAssert.NamesFields(response, field);
        var sessions = JsonDocument.Parse(await client.GetStringAsync("/api/sessions")).RootElement.GetProperty("items");
        Assert.Equal(1, sessions.GetArrayLength());
    }

    [Fact]
    public async Task ForkSession_AnotherUsersSessionOrAHiddenBattle_AnswersLikeMissingOrConflict()
    {
        using var owner = app.As("four-fork-owner");
        using var intruder = app.As("four-fork-intruder");
        var session = await app.CreateCompareAsync(owner, FourUpstreamsApp.Model("a"), FourUpstreamsApp.Model("b"));
        var battle = JsonDocument.Parse(await (await owner.PostAsJsonAsync("/api/sessions", new { mode = "battle" })).Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetGuid();

        await Arena.Tests.Support.ProblemAssert.IsProblem(await intruder.PostAsJsonAsync($"/api/sessions/{session}/fork", new { participant = "a" }), HttpStatusCode.NotFound);
        await Arena.Tests.Support.ProblemAssert.IsProblem(await intruder.PostAsJsonAsync($"/api/sessions/{Guid.NewGuid()}/fork", new { participant = "a" }), HttpStatusCode.NotFound);
        await Arena.Tests.Support.ProblemAssert.IsProblem(await owner.PostAsJsonAsync($"/api/sessions/{battle}/fork", new { participant = "a" }), HttpStatusCode.Conflict);
        Assert.Equal(2, JsonDocument.Parse(await owner.GetStringAsync("/api/sessions")).RootElement.GetProperty("items").GetArrayLength());
    }

    /// The <c>messages</c> array exactly as the OpenAI client writes it for these turns.
    private static string Conversation(IEnumerable<(string User, string Reply)> earlier, string prompt)
    {
        var json = new StringBuilder("[");
        void Add(string role, string content) =>
            json.Append(json.Length > 1 ? "," : "").Append($$"""{"role":"{{role}}","content":{{JsonSerializer.Serialize(content)}}}""");
        foreach (var (user, reply) in earlier)
        {
            Add("user", user);
            Add("assistant", reply);
        }

        Add("user", prompt);
        return json.Append(']').ToString();
    }
}
