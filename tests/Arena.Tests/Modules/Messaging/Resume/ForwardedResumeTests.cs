using System.Net;
using Arena.Tests.Support;

namespace Arena.Tests.Modules.Messaging.Resume;

public sealed class ForwardedResumeTests(ForwardedResumeTests.LoggedApp app) : IClassFixture<ForwardedResumeTests.LoggedApp>
{
    /// Both Hosts log into one capture, and a resumable turn left without any client stops a second later.
    public sealed class LoggedApp : ResumeApp
    {
        public LoggedApp()
            : this(new CapturedLogs())
        {
        }

        private LoggedApp(CapturedLogs logs)
            : base(ArenaAppPart.Settings(("Arena:Messaging:ResumeGrace", "00:00:01")), ArenaAppPart.Services(logs.AddTo))
        {
            Logs = logs;
        }

        public CapturedLogs Logs { get; }
    }

    [Fact]
    public async Task Resume_ClientLeavesAForwardedStream_FirstHostLetsGoAndNothingLogsAnError()
    {
        using var client = app.Hasty("forward-leave");
        var session = await app.CreateSessionAsync(client, ResumeApp.PacedA);
        using var started = await app.StartStalledTurnAsync(client, session);
        var upstream = await app.Server.NextRequestAsync(TimeSpan.FromSeconds(30));
        using var second = app.AtSecond("forward-leave");
        using var forwarded = await second.GetAsync($"/api/sessions/{session}/stream", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, forwarded.StatusCode);
        Assert.Equal("text/event-stream", forwarded.Content.Headers.ContentType?.MediaType);
        var reader = new StreamReader(await forwarded.Content.ReadAsStreamAsync());
        // The upstream stalls after its first delta: the events come through only if the relay passes each on as it comes.
        SseEvent? relayed;
        do
        {
            relayed = await SseEvent.ReadAsync(reader).WaitAsync(TimeSpan.FromSeconds(30));
        }
        while (relayed is { Event: not "delta" });
        Assert.Equal("delta", relayed?.Event);

        // The first client goes, so the forwarded request alone keeps the turn; then the client of the forward goes too.
        started.Dispose();
        forwarded.Dispose();
        second.Dispose();

        // Only once the first Host's forwarded request ended is the turn without a client, and stopped after its grace.
        var reply = await StreamReplyTests.WaitForEndAsync(client, session, "a");
        Assert.Equal("cancelled", reply.GetProperty("status").GetString());
        await upstream.ClientGone.WaitAsync(TimeSpan.FromSeconds(10));
        // Two Hosts starting on one database may both store the first leaderboard snapshot, an error of the Votes module's own.
        var lines = app.Logs.Lines.Where(l => !l.Split(' ', 3)[1].StartsWith("Arena.Modules.Votes.", StringComparison.Ordinal)).ToList();
        var errors = lines.Where(l => l.StartsWith("Error ", StringComparison.Ordinal) || l.StartsWith("Critical ", StringComparison.Ordinal)).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors));
        var stackTraces = lines.Where(l => l.Contains("   at ", StringComparison.Ordinal)).ToList();
        Assert.True(stackTraces.Count == 0, string.Join("\n", stackTraces));
        Assert.DoesNotContain(lines, l => l.StartsWith("Warning Yarp.", StringComparison.Ordinal));
    }
}
