using System.Net;
using Arena.Tests.Modules.Messaging;
using Arena.Tests.Modules.Messaging.Resume;
using Arena.Tests.Support;

namespace Arena.Tests.Reliability;

/// Requests sent together on purpose, many times over: a delete racing a turn's start, and parallel turns on one session.
/// Each iteration's outcome may differ; what must hold after every one does not.
public sealed class TurnEdgeRaceTests(MessagingApp app) : IClassFixture<MessagingApp>
{
    private const int Iterations = 15;

    [Theory]
    [InlineData("streaming")]
    [InlineData("legacy")]
    public async Task Delete_RacingATurnStart_LeavesNoRowAndNoReplyRunsOn(string pipeline)
    {
        using var client = app.As($"race-delete-{pipeline}");
        for (var i = 0; i < Iterations; i++)
        {
            // Slow replies (four chunks 1.5 s apart): a turn that ended normally would have outrun the delete.
            var session = await app.CreateSessionAsync(client, MessagingApp.Slow, MessagingApp.Slow);
            var stream = MessagingApp.StreamAsync(client, session, $"Race {i}", protocol: "sse", pipeline: pipeline);
            // Spread over the few milliseconds in which the turn is admitted.
            await Task.Delay(i % 5);
            using var deleted = await client.DeleteAsync($"/api/sessions/{session}");

            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
            Assert.Equal(0, await app.CountRowsAsync(session));
            var (response, body) = await stream.WaitAsync(TimeSpan.FromSeconds(30));
            if (response.StatusCode == HttpStatusCode.OK)
            {
                Assert.DoesNotContain("event: finish", body, StringComparison.Ordinal);
                Assert.Contains("\"cancelled\"", body, StringComparison.Ordinal);
            }
            else
            {
                await ProblemAssert.IsProblem(response, HttpStatusCode.NotFound);
            }

            // The stopped participants' last writes came after the delete, and found nothing to write to.
            Assert.Equal(0, await app.CountRowsAsync(session));
            response.Dispose();
        }
    }

    [Theory]
    [InlineData("streaming")]
    [InlineData("legacy")]
    public async Task Stream_TwentyAtOnceOnOneSession_AnswersOne200AndOnly409s(string pipeline)
    {
        using var client = app.As($"race-parallel-{pipeline}");
        var session = await app.CreateSessionAsync(client, MessagingApp.Slow, MessagingApp.Slow);
        var responses = await SendTogetherAsync(client, session, pipeline, 20);
        await AssertOneAdmittedAsync(responses);

        using var stopped = await client.PostAsync($"/api/sessions/{session}/stop", null);
        Assert.Equal(HttpStatusCode.OK, stopped.StatusCode);
        Assert.Equal(3, await app.CountRowsAsync(session));
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }

    /// One request started the turn; every other was refused for the session it asked, none for a limit.
    internal static async Task AssertOneAdmittedAsync(HttpResponseMessage[] responses)
    {
        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.OK);
        foreach (var refused in responses.Where(r => r.StatusCode != HttpStatusCode.OK))
        {
            await ProblemAssert.IsProblem(refused, HttpStatusCode.Conflict);
        }
    }

    internal static async Task<HttpResponseMessage[]> SendTogetherAsync(HttpClient client, Guid session, string pipeline, int count)
    {
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sends = Enumerable.Range(0, count).Select(async i =>
        {
            await start.Task;
            return await client.SendAsync(MessagingApp.StreamRequest(session, $"All at once {i}", pipeline: pipeline), HttpCompletionOption.ResponseHeadersRead);
        }).ToList();
        start.SetResult();
        return await Task.WhenAll(sends);
    }
}

/// The per-user limit counted in each process (<c>AcrossInstances</c> off), with three open streams a user.
public sealed class InProcessLimitRaceTests(InProcessLimitRaceTests.InProcessLimitApp app) : IClassFixture<InProcessLimitRaceTests.InProcessLimitApp>
{
    public sealed class InProcessLimitApp : MessagingApp
    {
        protected override void Configure(IDictionary<string, string?> settings)
        {
            base.Configure(settings);
            settings["Arena:Limits:AcrossInstances"] = "false";
            settings["Arena:Limits:StreamsPerUser"] = "3";
        }
    }

    [Theory]
    [InlineData("streaming")]
    [InlineData("legacy")]
    public async Task Stream_TwentyAtOnceOnOneSession_HoldsOneSlotAndAnswersOnly409s(string pipeline)
    {
        using var client = app.As($"inprocess-parallel-{pipeline}");
        var busy = await app.CreateSessionAsync(client, MessagingApp.Slow);
        var responses = await TurnEdgeRaceTests.SendTogetherAsync(client, busy, pipeline, 20);
        await TurnEdgeRaceTests.AssertOneAdmittedAsync(responses);

        // The refused requests gave back what they took: the user still has room for two more streams, and no third.
        var open = new List<HttpResponseMessage>();
        for (var i = 0; i < 2; i++)
        {
            var session = await app.CreateSessionAsync(client, MessagingApp.Slow);
            var response = await client.SendAsync(MessagingApp.StreamRequest(session, "Room?", pipeline: pipeline), HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            open.Add(response);
        }

        var over = await app.CreateSessionAsync(client, MessagingApp.Fast);
        using var tooMany = await client.SendAsync(MessagingApp.StreamRequest(over, "One too many", pipeline: pipeline));
        await ProblemAssert.IsProblem(tooMany, HttpStatusCode.TooManyRequests);
        Assert.Equal(TimeSpan.FromSeconds(1), tooMany.Headers.RetryAfter?.Delta);
        Assert.Equal(0, await app.CountRowsAsync(over));

        foreach (var response in responses.Concat(open))
        {
            response.Dispose();
        }
    }
}

/// A session deleted at one instance while the other still remembers it from an earlier turn.
public sealed class CrossInstanceDeleteTests(ResumeApp app) : IClassFixture<ResumeApp>
{
    [Theory]
    [InlineData("streaming")]
    [InlineData("legacy")]
    public async Task Stream_AtAnInstanceThatRemembersADeletedSession_Answers404AndStoresNothing(string pipeline)
    {
        using var first = app.As($"remembered-{pipeline}");
        using var second = app.AtSecond($"remembered-{pipeline}");
        var session = await app.CreateSessionAsync(first, MessagingApp.Fast);
        var (earlier, _) = await MessagingApp.StreamAsync(second, session, "Remember me", pipeline: pipeline);
        Assert.Equal(HttpStatusCode.OK, earlier.StatusCode);

        using var deleted = await first.DeleteAsync($"/api/sessions/{session}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        var (after, _) = await MessagingApp.StreamAsync(second, session, "Still there?", pipeline: pipeline);

        await ProblemAssert.IsProblem(after, HttpStatusCode.NotFound);
        Assert.Equal(0, await app.CountRowsAsync(session));
    }
}
