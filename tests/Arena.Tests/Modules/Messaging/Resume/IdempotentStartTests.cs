using System.Net;
using Arena.Tests.Support;

namespace Arena.Tests.Modules.Messaging.Resume;

/// A start sent again with its <c>Idempotency-Key</c> follows the turn it started, from its Last-Event-ID, and never
/// starts a second one; and a resume of a turn the client has whole answers 204, so an EventSource stops.
public sealed class IdempotentStartTests : IClassFixture<ResumeApp>
{
    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(300);

    private readonly ResumeApp app;

    public IdempotentStartTests(ResumeApp app)
    {
        this.app = app;
        app.Server.Reset();
    }

    [Fact]
    public async Task RepeatedStart_AfterTheTurnEnded_GetsTheRestOfTheSameTurnAndStoresNothingMore()
    {
        using var client = app.Hasty("key-after-end");
        var session = await app.CreateSessionAsync(client, ResumeApp.PacedA, ResumeApp.PacedB);
        app.Server.Enqueue(ResumeApp.Paced("left", Pause), ResumeApp.Paced("right", Pause));
        var key = Guid.NewGuid().ToString();

        var whole = await EventsAsync(await StartAsync(client, session, "Count", key));
        var done = Assert.Single(whole, e => e.Event == "done");
        var stored = await app.MessagesAsync(client, session);
        Assert.Equal(3, stored.Length);
        await app.WaitForPositionsAsync(session, 2);

        // From memory, then, at a Host that never held the turn, from the rows: the same events after the id, the same ids.
        using var second = app.AtSecond("key-after-end");
        foreach (var host in new[] { client, second })
        {
            var rest = await EventsAsync(await StartAsync(host, session, "Count", key, lastEventId: 2));
            Assert.Equal(whole.Where(e => e.Id > 2).Select(e => (e.Id, e.Event, e.Raw)), rest.Select(e => (e.Id, e.Event, e.Raw)));

            // A client that has the end gets an empty stream: a fetch-based client retries anything else.
            using var atEnd = await StartAsync(host, session, "Count", key, lastEventId: done.Id);
            Assert.Equal(HttpStatusCode.OK, atEnd.StatusCode);
            Assert.Empty(await EventsAsync(atEnd));

            using var resume = new HttpRequestMessage(HttpMethod.Get, $"/api/sessions/{session}/stream");
            resume.Headers.Add("Last-Event-ID", done.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            using var ended = await host.SendAsync(resume);
            Assert.Equal(HttpStatusCode.NoContent, ended.StatusCode);
        }

        Assert.Equal(2, app.Server.Requests.Count);
        Assert.Equal(stored.Select(m => m.GetProperty("id").GetGuid()), (await app.MessagesAsync(client, session)).Select(m => m.GetProperty("id").GetGuid()));
    }

    [Fact]
    public async Task RepeatedStart_AtAnotherHostWhileTheTurnRuns_FollowsTheRunningTurnAndStartsNoOther()
    {
        using var client = app.Hasty("key-mid-turn");
        var session = await app.CreateSessionAsync(client, ResumeApp.PacedA);
        // Long pauses, so that the repeat reaches the second Host while the first one still generates the turn.
        app.Server.Enqueue(ResumeApp.Paced("left", TimeSpan.FromSeconds(1)));
        var key = Guid.NewGuid().ToString();
        using var first = await StartAsync(client, session, "Count", key);
        var reader = new StreamReader(await first.Content.ReadAsStreamAsync());
        var seen = new List<SseEvent>();
        while (await SseEvent.ReadAsync(reader).WaitAsync(TimeSpan.FromSeconds(30)) is { } next)
        {
            seen.Add(next);
            if (next.Event == "delta")
            {
                break;
            }
        }

        // The client lost the connection after its first delta and its fetch retries the same start at another instance.
        using var second = app.AtSecond("key-mid-turn");
        var rest = await EventsAsync(await StartAsync(second, session, "Count", key, lastEventId: seen[^1].Id));
        var whole = seen.Concat(await SseEvent.ReadAllAsync(reader)).ToList();

        Assert.Contains(whole, e => e.Event == "done");
        Assert.Equal(whole.Where(e => e.Id > seen[^1].Id).Select(e => (e.Id, e.Event, e.Raw)), rest.Select(e => (e.Id, e.Event, e.Raw)));
        Assert.Single(app.Server.Requests);
        Assert.Equal(2, (await app.MessagesAsync(client, session)).Length);
    }

    [Fact]
    public async Task RepeatedStart_WithAnotherBody_Is422NamingTheKeyAndStoresNothing()
    {
        using var client = app.Hasty("key-other-body");
        var session = await app.CreateSessionAsync(client, ResumeApp.PacedA, ResumeApp.PacedB);
        app.Server.Enqueue(ResumeApp.Paced("left", Pause), ResumeApp.Paced("right", Pause));
        var key = Guid.NewGuid().ToString();
        await EventsAsync(await StartAsync(client, session, "Count", key));

        using var other = await StartAsync(client, session, "Count again", key);
        var problem = await ProblemAssert.IsProblem(other, HttpStatusCode.UnprocessableEntity);
        Assert.True(problem.GetProperty("errors").TryGetProperty("Idempotency-Key", out _), problem.ToString());
        Assert.Equal(3, (await app.MessagesAsync(client, session)).Length);

        // A new key is a new message.
        app.Server.Enqueue(ResumeApp.Paced("left", Pause), ResumeApp.Paced("right", Pause));
        await EventsAsync(await StartAsync(client, session, "Count again", Guid.NewGuid().ToString()));
        Assert.Equal(6, (await app.MessagesAsync(client, session)).Length);

        // The first key's turn is no longer the session's last: it cannot be followed any more.
        using var spent = await StartAsync(client, session, "Count", key);
        problem = await ProblemAssert.IsProblem(spent, HttpStatusCode.Conflict);
        Assert.True(problem.GetProperty("errors").TryGetProperty("Idempotency-Key", out _), problem.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("long")]
    public async Task Start_WithAMalformedKey_Is400NamingTheHeaderAndStoresNothing(string key)
    {
        using var client = app.As("key-malformed");
        var session = await app.CreateSessionAsync(client, ResumeApp.PacedA);
        using var request = ResumeApp.ResumableRequest(session, "Count");
        request.Headers.TryAddWithoutValidation("Idempotency-Key", key == "long" ? new string('k', 256) : key);
        if (key.Length == 0)
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", "second");
        }

        using var response = await client.SendAsync(request);
        await ProblemAssert.NamesFields(response, "Idempotency-Key");
        Assert.Empty(await app.MessagesAsync(client, session));
    }

    private static async Task<HttpResponseMessage> StartAsync(HttpClient client, Guid session, string content, string key, long? lastEventId = null)
    {
        var request = ResumeApp.ResumableRequest(session, content);
        request.Headers.Add("Idempotency-Key", key);
        if (lastEventId is { } id)
        {
            request.Headers.Add("Last-Event-ID", id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        return await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    }

    private static async Task<List<SseEvent>> EventsAsync(HttpResponseMessage response)
    {
        using (response)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return await SseEvent.ReadAllAsync(new StreamReader(await response.Content.ReadAsStreamAsync()));
        }
    }
}
