using System.Net;
using Arena.Host.Gateway;
using Arena.Tests.Support;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Arena.Tests.Host.Gateway;

public sealed class GatewayRoutingTests(GatewayApp app) : IClassFixture<GatewayApp>
{
    [Theory]
    [InlineData("/api/messages/stream")]
    [InlineData("/api/messages/stream/")]
    public async Task StreamRequest_HandfulOfSessions_ReachPredictedDestinationWithBodyIntact(string path)
    {
        using var client = app.As("alice-gateway");
        var ids = GatewayClient.SessionIds(seed: 17).Take(200).ToList();
        var handful = ids.Where(IsStreaming).Take(4).Concat(ids.Where(id => !IsStreaming(id)).Take(4));

        foreach (var id in handful)
        {
            var body = GatewayClient.Body(id, content: $"question for {id}");

            var (response, echo) = await GatewayClient.SendAsync(client, GatewayClient.StreamRequest(body, path));

            var expected = RoutingPolicy.PipelineFor(RoutingPolicy.PlaceOf(id), app.StreamingShare);
            Assert.Equal(expected, echo.Destination);
            Assert.Equal(body, echo.Body);
            Assert.Equal(expected == "streaming" ? "/streaming/api" + path["/api".Length..] : path, echo.Path);
            Assert.Equal(expected, Assert.Single(response.Headers.GetValues("X-Arena-Pipeline")));
        }
    }

    [Fact]
    public async Task StreamRequest_ResumableTurnOfALegacySession_ReachesStreamingWhichAloneRunsIt()
    {
        using var client = app.As("alice-gateway");
        var id = GatewayClient.SessionIds(seed: 29).First(id => !IsStreaming(id));
        var body = $$"""{"session_id":"{{id}}","messages":[{"role":"user","content":"hello"}],"resumable":true}""";

        var (response, echo) = await GatewayClient.SendAsync(client, GatewayClient.StreamRequest(body));
        var (_, plain) = await GatewayClient.SendAsync(client, GatewayClient.StreamRequest(GatewayClient.Body(id)));

        Assert.Equal(Pipelines.Streaming, echo.Destination);
        Assert.Equal(body, echo.Body);
        Assert.Equal(Pipelines.Streaming, Assert.Single(response.Headers.GetValues("X-Arena-Pipeline")));
        Assert.Equal(Pipelines.Legacy, plain.Destination);
    }

    [Fact]
    public async Task StreamRequest_BodyWithoutReadableSessionId_IsForwardedWhole()
    {
        using var client = app.As("alice-gateway");
        var body = $$"""{"messages":[{"role":"user","content":"{{new string('x', 200_000)}}"}],"session_id":"{{Guid.NewGuid()}}"}""";

        var (_, echo) = await GatewayClient.SendAsync(client, GatewayClient.StreamRequest(body));

        Assert.Equal(body, echo.Body);
    }

    [Fact]
    public async Task StreamRequest_SessionIdAfterLongMessages_AlwaysReachesPredictedDestinationWithBodyIntact()
    {
        using var client = app.As("alice-gateway");
        var ids = GatewayClient.SessionIds(seed: 23).Take(200).ToList();
        // One session per side, each with decoys inside its messages that belong to the other side.
        var streaming = ids.First(IsStreaming);
        var legacy = ids.First(id => !IsStreaming(id));

        foreach (var (id, decoy) in new[] { (streaming, legacy), (legacy, streaming) })
        {
            var body = GatewayClient.LongConversationBody(id, decoy);
            Assert.True(body.Length > 300_000, $"The body has only {body.Length} bytes.");
            var expected = RoutingPolicy.PipelineFor(RoutingPolicy.PlaceOf(id), app.StreamingShare);

            for (var turn = 0; turn < 6; turn++)
            {
                var (_, echo) = await GatewayClient.SendAsync(client, GatewayClient.StreamRequest(body));

                Assert.Equal(expected, echo.Destination);
                Assert.Equal(body, echo.Body);
            }
        }
    }

    [Fact]
    public async Task StreamRequest_ToExternalDestination_ForwardsTokenButNotCompression()
    {
        using var client = app.As("alice-gateway");
        var request = GatewayClient.StreamRequest(GatewayClient.Body(Guid.NewGuid()));
        request.Headers.Add("Accept-Encoding", "gzip");

        var (_, echo) = await GatewayClient.SendAsync(client, request);

        Assert.StartsWith("Bearer ", echo.Headers["Authorization"], StringComparison.Ordinal);
        Assert.False(echo.Headers.ContainsKey("Accept-Encoding"));
    }

    [Theory]
    [InlineData("streaming")]
    [InlineData("legacy")]
    public async Task StreamRequest_OverrideHeaderAllowed_GoesToRequestedPipeline(string requested)
    {
        using var client = app.As("alice-gateway");
        // A session the share alone would send to the other side.
        var id = GatewayClient.SessionIds(seed: 19).First(id => RoutingPolicy.PipelineFor(RoutingPolicy.PlaceOf(id), app.StreamingShare) != requested);

        var (_, echo) = await GatewayClient.SendAsync(client, GatewayClient.StreamRequest(GatewayClient.Body(id), pipelineOverride: requested));

        Assert.Equal(requested, echo.Destination);
    }

    [Fact]
    public async Task StreamRequest_WithoutToken_Returns401WithoutReachingDestinations()
    {
        using var client = app.Anonymous();
        var body = GatewayClient.Body(Guid.NewGuid(), content: "anonymous " + Guid.NewGuid());

        var response = await client.SendAsync(GatewayClient.StreamRequest(body));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.DoesNotContain(app.Streaming.Requests.Concat(app.Legacy.Requests), r => r.Body == body);
    }

    [Fact]
    public async Task StreamRequest_ClientDisconnects_DestinationSeesAbortWithinOneSecond()
    {
        var stream = Guid.NewGuid().ToString("N");
        // Like a closed browser tab: the connection goes at once instead of being drained for reuse.
        var client = new HttpClient(new SocketsHttpHandler { MaxResponseDrainSize = 0 }) { BaseAddress = app.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", TestTokens.For("alice-gateway"));
        var request = GatewayClient.StreamRequest(GatewayClient.Body(Guid.NewGuid()), pipelineOverride: "streaming");
        request.Headers.Add(FakeDestination.SlowHeader, stream);

        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var events = await response.Content.ReadAsStreamAsync();
        var first = new byte[64];
        var read = await events.ReadAsync(first);
        // The destination never ends this stream, so its first event arriving proves the gateway does not buffer.
        Assert.StartsWith("data: streaming", System.Text.Encoding.UTF8.GetString(first, 0, read), StringComparison.Ordinal);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        response.Dispose();
        client.Dispose();

        var aborted = app.Streaming.StreamAborted(stream);
        Assert.Same(aborted, await Task.WhenAny(aborted, Task.Delay(TimeSpan.FromSeconds(1))));
    }

    [Fact]
    public async Task OtherApiRoutes_AreServedByTheHostNotProxied()
    {
        using var client = app.As("alice-gateway");
        var before = app.Streaming.Requests.Count + app.Legacy.Requests.Count;

        var models = await client.GetAsync("/api/models");
        var sessions = await client.GetAsync("/api/sessions");

        Assert.Equal(HttpStatusCode.OK, models.StatusCode);
        Assert.Equal(HttpStatusCode.OK, sessions.StatusCode);
        Assert.False(models.Headers.Contains("X-Arena-Pipeline"));
        Assert.Equal(before, app.Streaming.Requests.Count + app.Legacy.Requests.Count);
        var proxied = app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<Yarp.ReverseProxy.Model.RouteModel>() is not null)
            .Select(e => e.RoutePattern.RawText)
            .ToList();
        Assert.Equal(["/api/messages/stream"], proxied);
    }

    private bool IsStreaming(Guid id) => RoutingPolicy.PipelineFor(RoutingPolicy.PlaceOf(id), app.StreamingShare) == Pipelines.Streaming;
}

public sealed class GatewayOverrideDisabledTests(GatewayWithoutOverrideApp app) : IClassFixture<GatewayWithoutOverrideApp>
{
    [Theory]
    [InlineData("streaming")]
    [InlineData("legacy")]
    public async Task StreamRequest_OverrideHeaderNotAllowed_IsIgnored(string requested)
    {
        using var client = app.As("bob-gateway");
        var id = GatewayClient.SessionIds(seed: 23).First(id => RoutingPolicy.PipelineFor(RoutingPolicy.PlaceOf(id), app.StreamingShare) != requested);

        var (_, echo) = await GatewayClient.SendAsync(client, GatewayClient.StreamRequest(GatewayClient.Body(id), pipelineOverride: requested));

        Assert.NotEqual(requested, echo.Destination);
    }
}
