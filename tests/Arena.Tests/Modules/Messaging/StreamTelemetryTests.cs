using System.Diagnostics;
using System.Net;
using Arena.Tests.Support;

namespace Arena.Tests.Modules.Messaging;

/// The "Arena.Messaging" metrics and spans, through the gateway's public path and the real Host, on each pipeline.
/// Everything a test asserts is recorded before the response ends, so no test waits.
public sealed class StreamTelemetryTests(StreamTelemetryApp app) : IClassFixture<StreamTelemetryApp>
{
    private const string Requests = "arena.stream.requests";
    private const string FirstChunk = "arena.stream.time_to_first_chunk";
    private const string Duration = "arena.stream.duration";
    private const string Active = "arena.stream.active";

    [Theory]
    [InlineData("streaming", "data")]
    [InlineData("legacy", "data")]
    [InlineData("streaming", "sse")]
    [InlineData("legacy", "sse")]
    public async Task Stream_Direct_RecordsOkRequestSuccessDurationFirstChunkAndActiveBackToZero(string pipeline, string protocol)
    {
        using var telemetry = app.Listen();
        using var client = app.As($"telemetry-direct-{pipeline}-{protocol}");
        var session = await app.CreateSessionAsync(client, MessagingApp.Fast);

        var (response, _) = await MessagingApp.StreamAsync(client, session, "A private prompt", protocol, pipeline: pipeline);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(pipeline, Assert.Single(response.Headers.GetValues("X-Arena-Pipeline")));
        var request = Assert.Single(telemetry.Of(Requests, pipeline));
        Assert.Equal(1, request.Value);
        Assert.Equal("{request}", request.Unit);
        Assert.Equal("ok", request.Tag("arena.outcome"));
        Assert.Equal("direct", request.Tag("arena.session_mode"));
        Assert.Equal(protocol, request.Tag("arena.protocol"));
        var duration = Assert.Single(telemetry.Of(Duration, pipeline));
        Assert.Equal("s", duration.Unit);
        Assert.Equal("success", duration.Tag("arena.status"));
        Assert.Equal("direct", duration.Tag("arena.session_mode"));
        // Four chunks 20 ms apart: a reply in seconds, never one in milliseconds.
        Assert.InRange(duration.Value, 0.05, 60);
        var firstChunk = Assert.Single(telemetry.Of(FirstChunk, pipeline));
        Assert.Equal("s", firstChunk.Unit);
        Assert.Equal(MessagingApp.Fast, firstChunk.Tag("arena.model"));
        Assert.Equal("direct", firstChunk.Tag("arena.session_mode"));
        Assert.InRange(firstChunk.Value, 0, duration.Value);
        var active = telemetry.Of(Active, pipeline);
        Assert.Equal([1d, -1d], active.Select(m => m.Value));
        Assert.Equal("{stream}", active[0].Unit);

        var span = telemetry.Request(session);
        Assert.Equal("stream direct", span.DisplayName);
        Assert.Equal(pipeline, span.GetTagItem("arena.pipeline"));
        Assert.Equal("direct", span.GetTagItem("arena.session_mode"));
        Assert.Equal(protocol, span.GetTagItem("arena.protocol"));
        Assert.Equal("ok", span.GetTagItem("arena.outcome"));
        var reply = Assert.Single(telemetry.Replies(span));
        Assert.Equal("stream reply a", reply.DisplayName);
        Assert.Equal("success", reply.GetTagItem("arena.status"));
        Assert.Equal("stop", reply.GetTagItem("arena.finish_reason"));
        Assert.Equal(MessagingApp.Fast, reply.GetTagItem("arena.model"));
        Assert.Single(reply.Events, e => e.Name == "arena.stream.first_chunk");
        Assert.Equal(ActivityStatusCode.Unset, reply.Status);
        var everything = string.Join("\n", new[] { span, reply }.SelectMany(s => s.TagObjects.Select(t => $"{t.Key}={t.Value}").Concat(s.Events.Select(e => e.Name))));
        Assert.DoesNotContain("private prompt", everything, StringComparison.Ordinal);
        Assert.DoesNotContain("here. You said", everything, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("streaming")]
    [InlineData("legacy")]
    public async Task Stream_UnknownSession_RecordsNotFoundAndNoReply(string pipeline)
    {
        using var telemetry = app.Listen();
        using var client = app.As($"telemetry-missing-{pipeline}");

        var response = await client.SendAsync(MessagingApp.StreamRequest(Guid.NewGuid(), "hello", pipeline: pipeline));

        await ProblemAssert.IsProblem(response, HttpStatusCode.NotFound);
        var request = Assert.Single(telemetry.Of(Requests, pipeline));
        Assert.Equal("not_found", request.Tag("arena.outcome"));
        Assert.Equal("data", request.Tag("arena.protocol"));
        // The session was never found, so its mode is unknown rather than guessed.
        Assert.False(request.Tags.ContainsKey("arena.session_mode"));
        Assert.Empty(telemetry.Of(Duration, pipeline));
        Assert.Empty(telemetry.Of(FirstChunk, pipeline));
        Assert.Empty(telemetry.Of(Active, pipeline));
    }

    [Theory]
    [InlineData("streaming")]
    [InlineData("legacy")]
    public async Task Stream_InvalidProtocol_RecordsBadRequestWithoutProtocol(string pipeline)
    {
        using var telemetry = app.Listen();
        using var client = app.As($"telemetry-protocol-{pipeline}");
        var session = await app.CreateSessionAsync(client, MessagingApp.Fast);

        var response = await client.SendAsync(MessagingApp.StreamRequest(session, "hello", protocol: "websocket", pipeline: pipeline));

        await ProblemAssert.NamesFields(response, "protocol");
        var request = Assert.Single(telemetry.Of(Requests, pipeline));
        Assert.Equal("bad_request", request.Tag("arena.outcome"));
        Assert.False(request.Tags.ContainsKey("arena.protocol"));
        Assert.Empty(telemetry.Of(Duration, pipeline));
    }

    [Theory]
    [InlineData("streaming")]
    [InlineData("legacy")]
    public async Task Stream_ConflictThenClientGone_RecordsConflictThenCancelledAndActiveBackToZero(string pipeline)
    {
        using var telemetry = app.Listen();
        using var hasty = app.Hasty($"telemetry-gone-{pipeline}");
        var session = await app.CreateSessionAsync(hasty, MessagingApp.Slow);

        using (var running = await hasty.SendAsync(MessagingApp.StreamRequest(session, "Take your time", pipeline: pipeline), HttpCompletionOption.ResponseHeadersRead))
        {
            Assert.Equal(HttpStatusCode.OK, running.StatusCode);
            await ProblemAssert.IsProblem(await hasty.SendAsync(MessagingApp.StreamRequest(session, "Me too", pipeline: pipeline)), HttpStatusCode.Conflict);
            Assert.Equal([1d], telemetry.Of(Active, pipeline).Select(m => m.Value));
        }

        // The server learns of the disconnect on its own schedule; the bound is generous for a loaded machine. The stream's
        // last record is the end of its activity.
        await Eventually.SettleAsync(() => Task.FromResult(telemetry.Of(Active, pipeline)), active => active.Count >= 2, changed: telemetry.MeasuredAsync);

        var requests = telemetry.Of(Requests, pipeline);
        Assert.Equal(["cancelled", "conflict"], requests.Select(r => r.Tag("arena.outcome")).Order(StringComparer.Ordinal));
        // The conflicting request found the session, so its mode is known.
        Assert.All(requests, r => Assert.Equal("direct", r.Tag("arena.session_mode")));
        Assert.Equal("cancelled", Assert.Single(telemetry.Of(Duration, pipeline)).Tag("arena.status"));
        Assert.Equal([1d, -1d], telemetry.Of(Active, pipeline).Select(m => m.Value));
    }

    [Theory]
    [InlineData("streaming")]
    [InlineData("legacy")]
    public async Task Stream_CompareWithOneFailingParticipant_RecordsOneSuccessAndOneErrorDuration(string pipeline)
    {
        using var telemetry = app.Listen();
        using var client = app.As($"telemetry-compare-{pipeline}");
        var session = await app.CreateSessionAsync(client, MessagingApp.Fast, StreamTelemetryApp.Failing);

        var (response, _) = await MessagingApp.StreamAsync(client, session, "Both of you", pipeline: pipeline);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var request = Assert.Single(telemetry.Of(Requests, pipeline));
        Assert.Equal("ok", request.Tag("arena.outcome"));
        Assert.Equal("compare", request.Tag("arena.session_mode"));
        var durations = telemetry.Of(Duration, pipeline);
        Assert.Equal(["error", "success"], durations.Select(d => d.Tag("arena.status")).Order(StringComparer.Ordinal));
        Assert.All(durations, d => Assert.Equal("compare", d.Tag("arena.session_mode")));
        // The failing model sends two chunks before it fails, so both participants have a first chunk.
        Assert.Equal([StreamTelemetryApp.Failing, MessagingApp.Fast], telemetry.Of(FirstChunk, pipeline).Select(m => m.Tag("arena.model")).Order(StringComparer.Ordinal));
        Assert.Equal(0, telemetry.Of(Active, pipeline).Sum(m => m.Value));

        var span = telemetry.Request(session);
        Assert.Equal("stream compare", span.DisplayName);
        Assert.Equal("compare", span.GetTagItem("arena.session_mode"));
        var replies = telemetry.Replies(span);
        Assert.Equal(["stream reply a", "stream reply b"], replies.Select(r => r.DisplayName));
        Assert.Equal("success", replies[0].GetTagItem("arena.status"));
        Assert.Equal(ActivityStatusCode.Unset, replies[0].Status);
        Assert.Equal("error", replies[1].GetTagItem("arena.status"));
        Assert.Equal(StreamTelemetryApp.Failing, replies[1].GetTagItem("arena.model"));
        Assert.Equal("unavailable", replies[1].GetTagItem("error.type"));
        Assert.Equal(ActivityStatusCode.Error, replies[1].Status);
    }
}
