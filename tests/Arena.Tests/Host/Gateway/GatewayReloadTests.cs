using Arena.Host.Gateway;
using Arena.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Arena.Tests.Host.Gateway;

/// The gateway's share lives in a JSON file added to the running app's configuration with reloadOnChange, as an operator's
/// mounted settings file would be.
public sealed class GatewayFileConfigApp : GatewayApp, IAsyncLifetime
{
    private readonly DirectoryInfo directory = Directory.CreateTempSubdirectory("arena-gateway-");

    public override int StreamingShare => 0;

    private string ConfigFile => Path.Combine(directory.FullName, "gateway.json");

    public new async Task InitializeAsync()
    {
        await WriteShareAsync(0);
        await base.InitializeAsync();
        var configuration = Assert.IsAssignableFrom<IConfigurationBuilder>(Services.GetRequiredService<IConfiguration>());
        configuration.AddJsonFile(ConfigFile, optional: false, reloadOnChange: true);
    }

    public new async Task DisposeAsync()
    {
        await base.DisposeAsync();
        directory.Delete(recursive: true);
    }

    public Task WriteShareAsync(int share) =>
        File.WriteAllTextAsync(ConfigFile, $$"""{ "Arena": { "Gateway": { "StreamingShare": {{share}} } } }""");
}

public sealed class GatewayReloadTests(GatewayFileConfigApp app) : IClassFixture<GatewayFileConfigApp>
{
    [Fact]
    public async Task ConfigFile_ShareRewritten_ReroutesWithoutRestartAndRollsBack()
    {
        using var client = app.As("carol-gateway");
        var ids = GatewayClient.SessionIds(seed: 29).Take(500).ToList();
        var moving = ids.First(id => RoutingPolicy.PlaceOf(id) < 60);
        var staying = ids.First(id => RoutingPolicy.PlaceOf(id) >= 60);
        async Task<string> DestinationOf(Guid id) =>
            (await GatewayClient.SendAsync(client, GatewayClient.StreamRequest(GatewayClient.Body(id)))).Echo.Destination;
        Assert.Equal("legacy", await DestinationOf(moving));

        await app.WriteShareAsync(60);

        await Eventually.EqualAsync("streaming", () => DestinationOf(moving));
        Assert.Equal("legacy", await DestinationOf(staying));

        await app.WriteShareAsync(0);

        await Eventually.EqualAsync("legacy", () => DestinationOf(moving));
    }
}
