using System.Diagnostics.Metrics;
using System.Net;
using System.Text;
using Arena.Host.Gateway;
using Arena.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Model;

namespace Arena.Tests.Host.Gateway;

/// No destination configured: both pipelines are reached over loopback at the Host's own (port 0) listener.
public sealed class GatewayInProcessTests(ArenaApp app) : IClassFixture<ArenaApp>
{
    [Fact]
    public async Task Destinations_NotConfigured_PointAtTheHostsOwnListenerAfterStart()
    {
        var lookup = app.Services.GetRequiredService<IProxyStateLookup>();
        ClusterState? cluster = null;

        await Eventually.EqualAsync("2", () =>
            Task.FromResult(lookup.TryGetCluster(GatewayProxyConfigProvider.ClusterId, out cluster) ? cluster.Destinations.Count.ToString(System.Globalization.CultureInfo.InvariantCulture) : "none"));

        var streaming = cluster!.Destinations["streaming"].Model.Config;
        var legacy = cluster.Destinations["legacy"].Model.Config;
        Assert.Equal(new Uri(app.BaseAddress, "api/pipelines/streaming").ToString(), streaming.Address);
        Assert.Equal(new Uri(app.BaseAddress, "api/pipelines/legacy").ToString(), legacy.Address);
        Assert.Equal(new Uri(app.BaseAddress, "health/ready").ToString(), streaming.Health);
        Assert.Equal(new Uri(app.BaseAddress, "health/ready").ToString(), legacy.Health);
    }

    [Fact]
    public void Cluster_Defaults_LetAStreamStaySilentForTenMinutesAndProbeBothSides()
    {
        var lookup = app.Services.GetRequiredService<IProxyStateLookup>();

        Assert.True(lookup.TryGetCluster(GatewayProxyConfigProvider.ClusterId, out var cluster));

        var config = cluster.Model.Config;
        Assert.Equal(TimeSpan.FromMinutes(10), config.HttpRequest?.ActivityTimeout);
        Assert.True(config.HealthCheck?.Active?.Enabled);
        Assert.Equal(TimeSpan.FromSeconds(10), config.HealthCheck?.Active?.Interval);
    }

    [Fact]
    public async Task HealthCheck_InProcessDestinations_PassTheHostsOwnReadinessProbe()
    {
        var lookup = app.Services.GetRequiredService<IProxyStateLookup>();

        // The Host answers its own readiness probe, so both in-process destinations come into rotation.
        await Eventually.EqualAsync("Healthy,Healthy", () => Task.FromResult(
            lookup.TryGetCluster(GatewayProxyConfigProvider.ClusterId, out var cluster)
                ? string.Join(',', cluster.Destinations.Values.Select(d => d.Health.Active))
                : "none"));
    }

    [Fact]
    public async Task StreamRequest_ToInProcessPipeline_PassesThePipelineGuardWhileDirectCallsDoNot()
    {
        using var rejections = new RejectionCounter(app.Services.GetRequiredService<IMeterFactory>());
        using var client = app.As("erin-gateway");

        // The session does not exist, so the legacy pipeline itself answers: proof that the proxied request passed the guard.
        var proxied = await client.PostAsync("/api/messages/stream", new StringContent(GatewayClient.Body(Guid.NewGuid()), Encoding.UTF8, "application/json"));
        var afterProxied = rejections.Count;
        var direct = await client.PostAsync("/api/pipelines/legacy/messages/stream", new StringContent(GatewayClient.Body(Guid.NewGuid()), Encoding.UTF8, "application/json"));

        Assert.Equal("legacy", Assert.Single(proxied.Headers.GetValues("X-Arena-Pipeline")));
        var answer = await ProblemAssert.IsProblem(proxied, HttpStatusCode.NotFound);
        Assert.Equal("The session does not exist.", answer.GetProperty("detail").GetString());
        Assert.Equal(0, afterProxied);
        await ProblemAssert.IsProblem(direct, HttpStatusCode.NotFound);
        Assert.Equal(1, rejections.Count);
    }

    /// Counts the guard's rejections in this app only: meters made by its IMeterFactory carry the factory as their scope.
    private sealed class RejectionCounter : IDisposable
    {
        private readonly MeterListener listener = new();
        private long count;

        public RejectionCounter(IMeterFactory scope)
        {
            listener.InstrumentPublished = (instrument, l) =>
            {
                if (ReferenceEquals(instrument.Meter.Scope, scope) && instrument.Name == GatewayTelemetry.RejectedInstrument)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            };
            listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref count, value));
            listener.Start();
        }

        public long Count => Interlocked.Read(ref count);

        public void Dispose() => listener.Dispose();
    }
}
