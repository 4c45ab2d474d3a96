using System.Net;
using Arena.Tests.Modules.Messaging;
using Microsoft.Extensions.Logging;

namespace Arena.Tests.Telemetry;

/// The log of a representative run, as an operator reads it: a start on an empty database, streams that succeed, fail,
/// are left by their client or refused with 409 and 400, on both pipelines.
public sealed class QuietLogTests(TelemetryApp app) : IClassFixture<TelemetryApp>
{
    [Fact]
    public async Task Log_RepresentativeRun_NoErrorNoStackTraceNoContentAndTraceIds()
    {
        await app.ServeRepresentativeStreamsAsync();
        using var client = app.As("quiet-log");
        foreach (var pipeline in new[] { "streaming", "legacy" })
        {
            var down = await app.CreateSessionAsync(client, TelemetryApp.Unreachable);
            var (failed, _) = await MessagingApp.StreamAsync(client, down, "Is the provider there?", pipeline: pipeline);
            Assert.Equal(HttpStatusCode.OK, failed.StatusCode);
        }

        var bad = await client.SendAsync(MessagingApp.StreamRequest(Guid.NewGuid(), ""));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Matches("^[0-9a-f]{32}$", Assert.Single(bad.Headers.GetValues("X-Trace-Id")));

        var lines = app.Logs.Lines;
        var log = string.Join("\n", lines);
        var errors = lines.Where(l => l.StartsWith("Error ", StringComparison.Ordinal) || l.StartsWith("Critical ", StringComparison.Ordinal)).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors));
        var stackTraces = lines.Where(l => l.Contains("   at ", StringComparison.Ordinal)).Select(l => l[..Math.Min(l.Length, 400)]).ToList();
        Assert.True(stackTraces.Count == 0, string.Join("\n", stackTraces));
        foreach (var prompt in new[] { "Compare these", "One of you fails", "Take your time", "Is the provider there?", "You said" })
        {
            Assert.DoesNotContain(prompt, log, StringComparison.Ordinal);
        }

        // Routine traffic is not news: no per-request proxy or health-probe lines at Information.
        Assert.DoesNotContain(lines, l => l.StartsWith("Information Yarp.", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.StartsWith("Information System.Net.Http.HttpClient", StringComparison.Ordinal));
        // The 409s, one line each (the gateway's inner hop does not log them again).
        Assert.Equal(2, lines.Count(l => l.StartsWith("Information Arena.Host.Requests", StringComparison.Ordinal) && l.Contains("answered 409", StringComparison.Ordinal)));
        // Each provider failure once, at Warning, carrying the request's trace id.
        var failures = app.Logs.Entries.Where(e => e.Level == LogLevel.Warning && e.Category.StartsWith("Arena.Modules.Providers", StringComparison.Ordinal)).ToList();
        Assert.True(failures.Count >= 2, log);
        Assert.All(failures, f => Assert.Matches("^[0-9a-f]{32}$", f.TraceId));
        Assert.DoesNotContain(app.Logs.Entries, e => e.Level >= LogLevel.Warning && e.Category.StartsWith("Microsoft.Extensions.AI", StringComparison.Ordinal));
    }
}
