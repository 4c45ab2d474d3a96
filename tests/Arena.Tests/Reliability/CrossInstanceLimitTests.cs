using System.Net;
using Arena.Tests.Modules.Messaging.Resume;
using Arena.Tests.Support;

namespace Arena.Tests.Reliability;

/// Two Hosts on one database, with one running turn and three turns a minute per user: each Host's own rate limiter
/// sees only its share of a user's traffic, so what refuses here is the count over the stored rows of both.
public sealed class CrossInstanceLimitTests(CrossInstanceLimitTests.LimitedApp app) : IClassFixture<CrossInstanceLimitTests.LimitedApp>
{
    public sealed class LimitedApp() : ResumeApp(ArenaAppPart.Settings(("Arena:Limits:StreamsPerUser", "1"), ("Arena:Limits:StreamRequestsPerMinute", "3")));

    [Fact]
    public async Task Stream_UserRunningATurnAtTheFirstHost_IsRefusedAtTheSecondUntilItEnds()
    {
        app.Server.Reset();
        using var first = app.As("limits-running");
        using var second = app.AtSecond("limits-running");
        var busy = await app.CreateSessionAsync(first, ResumeApp.PacedA);
        var other = await app.CreateSessionAsync(first, ResumeApp.PacedA);
        app.Server.Enqueue(ResumeApp.Paced("slow", TimeSpan.FromMilliseconds(700)));

        using var running = await first.SendAsync(ResumeApp.ResumableRequest(busy, "Count", resumable: false), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, running.StatusCode);
        using (var refused = await second.SendAsync(ResumeApp.ResumableRequest(other, "Me too", resumable: false)))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
            Assert.Equal(TimeSpan.FromSeconds(1), refused.Headers.RetryAfter?.Delta);
            Assert.Contains("as many streams open", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.Equal(0, await app.CountRowsAsync(other));

        // Read to its end: the row is final before the client reads the finish, so the user holds no turn any more.
        Assert.Contains("slow four.", await running.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        app.Server.Enqueue(ResumeApp.Paced("next", TimeSpan.Zero));
        using var accepted = await second.SendAsync(ResumeApp.ResumableRequest(other, "Me too", resumable: false));
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        Assert.Contains("next four.", await accepted.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stream_UserOverTheMinuteAcrossBothHosts_IsRefusedWithTheWaitAndStoresNothing()
    {
        app.Server.Reset();
        using var first = app.As("limits-minute");
        using var second = app.AtSecond("limits-minute");
        var session = await app.CreateSessionAsync(first, ResumeApp.PacedA);

        // Two turns at the first Host and one at the second: neither Host alone has seen three.
        foreach (var client in new[] { first, second, first })
        {
            app.Server.Enqueue(ResumeApp.Paced("quick", TimeSpan.Zero));
            using var turn = await client.SendAsync(ResumeApp.ResumableRequest(session, "Again", resumable: false));
            Assert.Equal(HttpStatusCode.OK, turn.StatusCode);
            Assert.Contains("quick four.", await turn.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        var stored = await app.CountRowsAsync(session);
        using var refused = await second.SendAsync(ResumeApp.ResumableRequest(session, "Once more", resumable: false));

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        Assert.InRange(refused.Headers.RetryAfter?.Delta ?? TimeSpan.Zero, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60));
        Assert.Contains("this minute", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(stored, await app.CountRowsAsync(session));
    }
}
