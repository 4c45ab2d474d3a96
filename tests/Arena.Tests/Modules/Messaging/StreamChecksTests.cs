using System.Net;
using System.Text;
using Arena.Modules.Messaging.Persistence;
using Arena.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Arena.Tests.Modules.Messaging;

public sealed class StreamChecksTests(MessagingApp app) : IClassFixture<MessagingApp>
{
    public static TheoryData<string, string, HttpStatusCode, string> BadBodies => new()
    {
        { "not json", "{ this is not json", HttpStatusCode.BadRequest, "body" },
        { "array body", "[1, 2]", HttpStatusCode.BadRequest, "body" },
        { "no session_id", """{"messages":[{"role":"user","content":"hi"}]}""", HttpStatusCode.BadRequest, "session_id" },
        { "session_id not a uuid", """{"session_id":"abc","messages":[{"role":"user","content":"hi"}]}""", HttpStatusCode.BadRequest, "session_id" },
        { "session_id a number", """{"session_id":42,"messages":[{"role":"user","content":"hi"}]}""", HttpStatusCode.BadRequest, "session_id" },
        { "no messages", """{"session_id":"{session}"}""", HttpStatusCode.BadRequest, "messages" },
        { "no user message", """{"session_id":"{session}","messages":[{"role":"assistant","content":"hi"}]}""", HttpStatusCode.BadRequest, "messages" },
        { "empty content", """{"session_id":"{session}","messages":[{"role":"user","content":"  "}]}""", HttpStatusCode.BadRequest, "messages" },
        { "content with a NUL", """{"session_id":"{session}","messages":[{"role":"user","content":"a\u0000b"}]}""", HttpStatusCode.BadRequest, "messages" },
        { "content over the limit", """{"session_id":"{session}","messages":[{"role":"user","content":"{long}"}]}""", HttpStatusCode.RequestEntityTooLarge, "messages" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task StreamMessage_BadBody_AnswersProblemNamingTheFieldAndWritesNothing(string name, string body, HttpStatusCode status, string field)
    {
        using var client = app.As("checks");
        var session = await app.CreateSessionAsync(client, MessagingApp.Fast);
        var json = body.Replace("{session}", session.ToString(), StringComparison.Ordinal).Replace("{long}", new string('x', 32_001), StringComparison.Ordinal);

        using var response = await client.PostAsync("/api/messages/stream/", new StringContent(json, Encoding.UTF8, "application/json"));

        var problem = await ProblemAssert.IsProblem(response, status);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), name);
        Assert.Equal("streaming", Assert.Single(response.Headers.GetValues("X-Arena-Pipeline")));
        Assert.Equal(0, await app.CountRowsAsync(session));
    }

    [Fact]
    public async Task StreamMessage_ContentAtTheLimit_Streams()
    {
        using var client = app.As("checks-limit");
        var session = await app.CreateSessionAsync(client, MessagingApp.Fast);

        var (response, _) = await MessagingApp.StreamAsync(client, session, new string('x', 32_000));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task StreamMessage_UnknownProtocol_AnswersBadRequestNamingProtocol()
    {
        using var client = app.As("checks-protocol");
        var session = await app.CreateSessionAsync(client, MessagingApp.Fast);

        using var response = await client.SendAsync(MessagingApp.StreamRequest(session, "hi", protocol: "websocket"));

        await ProblemAssert.NamesFields(response, "protocol");
        Assert.Equal(0, await app.CountRowsAsync(session));
    }

    [Fact]
    public async Task StreamMessage_UnknownOrAnotherUsersSession_AnswersNotFoundAndWritesNothing()
    {
        using var owner = app.As("checks-owner");
        using var other = app.As("checks-other");
        var session = await app.CreateSessionAsync(owner, MessagingApp.Fast);

        await ProblemAssert.IsProblem(await other.SendAsync(MessagingApp.StreamRequest(session, "hi")), HttpStatusCode.NotFound);
        var missing = Guid.NewGuid();
        await ProblemAssert.IsProblem(await owner.SendAsync(MessagingApp.StreamRequest(missing, "hi")), HttpStatusCode.NotFound);

        Assert.Equal(0, await app.CountRowsAsync(session));
        Assert.Equal(0, await app.CountRowsAsync(missing));
    }

    [Fact]
    public async Task StreamMessage_Anonymous_AnswersUnauthorized()
    {
        using var anonymous = app.Anonymous();

        using var response = await anonymous.SendAsync(MessagingApp.StreamRequest(Guid.NewGuid(), "hi"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task StreamMessage_WhileAnotherStreamRuns_AnswersConflictAndWritesNothing()
    {
        using var client = app.As("checks-conflict");
        var session = await app.CreateSessionAsync(client, MessagingApp.Slow);
        using var first = await client.SendAsync(MessagingApp.StreamRequest(session, "first"), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);

        // Several at once: the database guard, not the order of requests, decides.
        var second = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => client.SendAsync(MessagingApp.StreamRequest(session, "second"), HttpCompletionOption.ResponseHeadersRead)));

        foreach (var response in second)
        {
            await ProblemAssert.IsProblem(response, HttpStatusCode.Conflict);
            response.Dispose();
        }

        Assert.Equal(2, await app.CountRowsAsync(session));
    }

    [Fact]
    public async Task StreamMessage_ConcurrentFirstRequests_OnlyOneStreams()
    {
        using var client = app.As("checks-race");
        var session = await app.CreateSessionAsync(client, MessagingApp.Slow, MessagingApp.Slow);

        var responses = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => client.SendAsync(MessagingApp.StreamRequest(session, "race"), HttpCompletionOption.ResponseHeadersRead)));

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.OK);
        Assert.Equal(4, responses.Count(r => r.StatusCode == HttpStatusCode.Conflict));
        Assert.Equal(3, await app.CountRowsAsync(session));
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }

    [Fact]
    public async Task Startup_RepliesOfADeadHost_AreInterruptedWithTheirContentAndReleaseTheSession()
    {
        using var client = app.As("recovery");
        var session = await app.CreateSessionAsync(client, MessagingApp.Fast);
        var user = Guid.CreateVersion7();
        var reply = Guid.CreateVersion7();
        var host = Guid.CreateVersion7();
        // What a process that died mid-stream leaves behind: the last flushed partial content, still streaming. Its host
        // is alive while the guard is checked, so that the app's own heartbeat sweep cannot race the assertion.
        await app.ExecuteAsync(
            """
            INSERT INTO messaging.stream_hosts (id, started_at, heartbeat_at) VALUES (@host, now(), now() + interval '1 hour');
            INSERT INTO messaging.messages (id, session_id, role, content, parent_id, model, participant, status, stream_host_id, created_at, updated_at)
            VALUES (@user, @session, 'user', 'before the crash', NULL, NULL, NULL, 'success', NULL, now(), now()),
                   (@reply, @session, 'assistant', 'half an ans', @user, 'fast-model', 'a', 'streaming', @host, now(), now())
            """,
            ("host", host),
            ("user", user),
            ("reply", reply),
            ("session", session));
        await ProblemAssert.IsProblem(await client.SendAsync(MessagingApp.StreamRequest(session, "blocked")), HttpStatusCode.Conflict);
        await app.ExecuteAsync("UPDATE messaging.stream_hosts SET heartbeat_at = now() - interval '1 hour' WHERE id = @host", ("host", host));

        var startup = app.Services.GetServices<IHostedService>().OfType<MessagingStartup>().Single();
        await startup.StartAsync(CancellationToken.None);

        var messages = await app.MessagesAsync(client, session);
        var interrupted = Assert.Single(messages, m => m.GetProperty("id").GetGuid() == reply);
        Assert.Equal("interrupted", interrupted.GetProperty("status").GetString());
        Assert.Equal("half an ans", interrupted.GetProperty("content").GetString());
        var (next, _) = await MessagingApp.StreamAsync(client, session, "after the restart");
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
    }
}
