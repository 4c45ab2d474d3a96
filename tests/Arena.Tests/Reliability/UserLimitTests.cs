using System.Net;
using System.Text;
using Arena.Tests.Modules.Messaging;
using Arena.Tests.Support;

namespace Arena.Tests.Reliability;

public sealed class UserLimitApp : MessagingApp
{
    public const int StreamsPerUser = 3;
    public const int PerMinute = 6;

    protected override void Configure(IDictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["Arena:Limits:StreamsPerUser"] = $"{StreamsPerUser}";
        settings["Arena:Limits:StreamRequestsPerMinute"] = $"{PerMinute}";
        settings["Arena:Messaging:LegacyMaxConcurrentStreams"] = "4";
        settings["Arena:Messaging:LegacyUserSharePercent"] = "50";
    }
}

public sealed class UserLimitTests(UserLimitApp app) : IClassFixture<UserLimitApp>
{
    [Fact]
    public async Task Stream_UserAtConcurrentLimit_Answers429WithRetryAfterWhileOthersStream()
    {
        using var greedy = app.As("limit-concurrent");
        using var other = app.As("limit-concurrent-other");
        var open = new List<HttpResponseMessage>();
        for (var i = 0; i < UserLimitApp.StreamsPerUser; i++)
        {
            var session = await app.CreateSessionAsync(greedy, MessagingApp.Slow);
            var response = await greedy.SendAsync(MessagingApp.StreamRequest(session, "hold", pipeline: i % 2 == 0 ? "streaming" : "legacy"), HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            open.Add(response);
        }

        var refused = await app.CreateSessionAsync(greedy, MessagingApp.Fast);
        using var tooMany = await greedy.SendAsync(MessagingApp.StreamRequest(refused, "one more"));
        var (served, _) = await MessagingApp.StreamAsync(other, await app.CreateSessionAsync(other, MessagingApp.Fast), "my turn");

        await ProblemAssert.IsProblem(tooMany, HttpStatusCode.TooManyRequests);
        Assert.NotNull(tooMany.Headers.RetryAfter?.Delta);
        Assert.Equal(0, await app.CountRowsAsync(refused));
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        foreach (var response in open)
        {
            response.Dispose();
        }
    }

    [Fact]
    public async Task Stream_UserOverRequestsPerMinute_Answers429WithRetryAfter()
    {
        using var client = app.As("limit-per-minute");
        for (var i = 0; i < UserLimitApp.PerMinute; i++)
        {
            using var bad = await client.PostAsync("/api/messages/stream/", new StringContent("{}", Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        }

        var session = await app.CreateSessionAsync(client, MessagingApp.Fast);
        using var refused = await client.SendAsync(MessagingApp.StreamRequest(session, "over the minute's budget"));

        await ProblemAssert.IsProblem(refused, HttpStatusCode.TooManyRequests);
        Assert.InRange(refused.Headers.RetryAfter?.Delta ?? TimeSpan.Zero, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60));
        Assert.Equal(0, await app.CountRowsAsync(session));
    }

    [Fact]
    public async Task LegacyStream_UserHoldingFairShare_Answers503WhileAnotherUserGetsASlot()
    {
        using var greedy = app.As("limit-legacy");
        using var other = app.As("limit-legacy-other");
        using var first = await greedy.SendAsync(MessagingApp.StreamRequest(await app.CreateSessionAsync(greedy, MessagingApp.Slow), "a", pipeline: "legacy"), HttpCompletionOption.ResponseHeadersRead);
        using var second = await greedy.SendAsync(MessagingApp.StreamRequest(await app.CreateSessionAsync(greedy, MessagingApp.Slow), "b", pipeline: "legacy"), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);

        var refused = await app.CreateSessionAsync(greedy, MessagingApp.Fast);
        using var third = await greedy.SendAsync(MessagingApp.StreamRequest(refused, "c", pipeline: "legacy"));
        var (served, _) = await MessagingApp.StreamAsync(other, await app.CreateSessionAsync(other, MessagingApp.Fast), "mine", pipeline: "legacy");

        await ProblemAssert.IsProblem(third, HttpStatusCode.ServiceUnavailable);
        Assert.Equal(0, await app.CountRowsAsync(refused));
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
    }
}
