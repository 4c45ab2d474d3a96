using Arena.Tests.Support;

namespace Arena.Tests.Host.Gateway;

/// Everything goes to streaming by share; probes run every 200 ms and one failure takes a destination out.
public sealed class GatewayHealthApp : GatewayApp
{
    public override int StreamingShare => 100;

    protected override void Configure(IDictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["Arena:Gateway:HealthCheck:Interval"] = "00:00:00.200";
        settings["Arena:Gateway:HealthCheck:Timeout"] = "00:00:05";
        settings["Arena:Gateway:HealthCheck:ConsecutiveFailures"] = "1";
    }
}

public sealed class GatewayHealthTests(GatewayHealthApp app) : IClassFixture<GatewayHealthApp>
{
    [Fact]
    public async Task HealthCheck_StreamingFailsThenRecovers_TrafficFailsOverToLegacyAndComesBack()
    {
        using var client = app.As("dave-gateway");
        var id = Guid.NewGuid();
        async Task<string> DestinationOf()
        {
            var (response, echo) = await GatewayClient.SendAsync(client, GatewayClient.StreamRequest(GatewayClient.Body(id)));
            // The header tells the client who actually answered, not who the share chose.
            Assert.Equal(echo.Destination, Assert.Single(response.Headers.GetValues("X-Arena-Pipeline")));
            return echo.Destination;
        }

        Assert.Equal("streaming", await DestinationOf());

        app.Streaming.Healthy = false;
        await Eventually.EqualAsync("legacy", DestinationOf);

        app.Streaming.Healthy = true;
        await Eventually.EqualAsync("streaming", DestinationOf);
    }
}
