using System.Diagnostics.Metrics;
using System.Net;
using System.Text;
using Arena.Host.Gateway;
using Arena.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Yarp.ReverseProxy;

namespace Arena.Tests.Host.Gateway;

/// No destination configured: both pipelines are served in-process. Probes every 200 ms, and the server's requests are
/// counted from before it starts, so a loopback probe or hop at any time would show.
public sealed class InProcessGatewayApp : ArenaApp, IAsyncLifetime
{
    public ServerRequests Requests { get; } = new();

    public IMeterFactory Meters => Services.GetRequiredService<IMeterFactory>();

    public new async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Requests.Dispose();
    }

    protected override void Configure(IDictionary<string, string?> settings)
    {
        settings["Arena:Gateway:AllowOverrideHeader"] = "true";
        settings["Arena:Gateway:HealthCheck:Interval"] = "00:00:00.200";
    }
}

public sealed class GatewayInProcessTests(InProcessGatewayApp app) : IClassFixture<InProcessGatewayApp>
{
    [Fact]
    public void Destinations_NotConfigured_AreTheMessagingEndpointsAtAnAddressThatNeverResolves()
    {
        var lookup = app.Services.GetRequiredService<IProxyStateLookup>();

        Assert.True(lookup.TryGetCluster(GatewayProxyConfigProvider.ClusterId, out var cluster));

        var streaming = cluster.Destinations["streaming"].Model.Config;
        var legacy = cluster.Destinations["legacy"].Model.Config;
        Assert.Equal("http://in-process.invalid/streaming", streaming.Address);
        Assert.Equal("http://in-process.invalid/legacy", legacy.Address);
        Assert.Equal("StreamMessage", streaming.Metadata?[GatewayProxyConfigProvider.InProcessMetadata]);
        Assert.Equal("StreamMessageLegacy", legacy.Metadata?[GatewayProxyConfigProvider.InProcessMetadata]);
    }

    [Fact]
    public void Cluster_Defaults_LetAStreamStaySilentForTenMinutesAndProbeBothSides()
    {
        var lookup = app.Services.GetRequiredService<IProxyStateLookup>();

        Assert.True(lookup.TryGetCluster(GatewayProxyConfigProvider.ClusterId, out var cluster));

        var config = cluster.Model.Config;
        Assert.Equal(TimeSpan.FromMinutes(10), config.HttpRequest?.ActivityTimeout);
        Assert.True(config.HealthCheck?.Active?.Enabled);
    }

    [Fact]
    public async Task HealthCheck_InProcessDestinations_AreHealthyFromTheHostsReadinessWithoutAnyServerRequest()
    {
        var lookup = app.Services.GetRequiredService<IProxyStateLookup>();

        // The Host is ready, so both in-process destinations come into rotation.
        await Eventually.EqualAsync("Healthy,Healthy", () => Task.FromResult(
            lookup.TryGetCluster(GatewayProxyConfigProvider.ClusterId, out var cluster)
                ? string.Join(',', cluster.Destinations.Values.Select(d => d.Health.Active))
                : "none"));

        // Probed every 200 ms since start-up, yet the server has never been asked for /health/ready or anything else.
        Assert.DoesNotContain(app.Requests.ServedBy(app.Meters), route => route.StartsWith("/health", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("streaming")]
    [InlineData("legacy")]
    public async Task StreamRequest_ToInProcessPipeline_IsServedWithoutASecondServerRequest(string pipeline)
    {
        using var client = app.As("erin-gateway");
        var before = app.Requests.ServedBy(app.Meters).Count;
        var request = GatewayClient.StreamRequest(GatewayClient.Body(Guid.NewGuid()), pipelineOverride: pipeline);

        // The session does not exist, so the pipeline itself answers, before streaming.
        var response = await client.SendAsync(request);
        await app.Requests.WaitForAsync(app.Meters, before, route => route.Contains("messages/stream", StringComparison.Ordinal));

        Assert.Equal(pipeline, Assert.Single(response.Headers.GetValues("X-Arena-Pipeline")));
        var answer = await ProblemAssert.IsProblem(response, HttpStatusCode.NotFound);
        Assert.Equal("The session does not exist.", answer.GetProperty("detail").GetString());
        // A hop over loopback would be a second request, served (and counted) before the client's own one finished.
        Assert.Single(app.Requests.ServedBy(app.Meters).Skip(before));
    }

    [Fact]
    public async Task PipelinesPaths_OfTheLoopbackDesign_AnswerNotFoundLikeAnyUnknownRoute()
    {
        using var client = app.As("erin-gateway");

        foreach (var path in new[] { "/api/pipelines/streaming/messages/stream", "/api/pipelines/legacy/messages/stream/" })
        {
            var response = await client.PostAsync(path, new StringContent(GatewayClient.Body(Guid.NewGuid()), Encoding.UTF8, "application/json"));

            await ProblemAssert.IsProblem(response, HttpStatusCode.NotFound);
            Assert.False(response.Headers.Contains("X-Arena-Pipeline"));
        }
    }
}
