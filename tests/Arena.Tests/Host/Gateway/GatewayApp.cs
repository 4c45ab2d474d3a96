using Arena.Tests.Support;

namespace Arena.Tests.Host.Gateway;

/// The real Host with both gateway destinations pointed at fake servers: streaming at {fake}/streaming/api, legacy at
/// {fake}/api like the old service.
public class GatewayApp : ArenaApp, IAsyncLifetime
{
    public FakeDestination Streaming { get; private set; } = null!;

    public FakeDestination Legacy { get; private set; } = null!;

    public virtual int StreamingShare => 25;

    protected virtual bool AllowOverrideHeader => true;

    public FakeDestination Fake(string pipeline) => pipeline == "streaming" ? Streaming : Legacy;

    public new async Task InitializeAsync()
    {
        Streaming = await FakeDestination.StartAsync("streaming");
        Legacy = await FakeDestination.StartAsync("legacy");
        await base.InitializeAsync();
    }

    public new async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Streaming.DisposeAsync();
        await Legacy.DisposeAsync();
    }

    protected override void Configure(IDictionary<string, string?> settings)
    {
        settings["Arena:Gateway:StreamingShare"] = StreamingShare.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["Arena:Gateway:AllowOverrideHeader"] = AllowOverrideHeader ? "true" : "false";
        settings["Arena:Gateway:Destinations:Streaming:Address"] = new Uri(Streaming.BaseUrl, "streaming/api").ToString();
        settings["Arena:Gateway:Destinations:Legacy:Address"] = new Uri(Legacy.BaseUrl, "api").ToString();
    }
}

public sealed class GatewayWithoutOverrideApp : GatewayApp
{
    protected override bool AllowOverrideHeader => false;
}

/// An operator who caps the session_id scan well below the server's body limit.
public sealed class GatewayWithSmallScanLimitApp : GatewayApp
{
    public const int ScanLimit = 100_000;

    protected override void Configure(IDictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["Arena:Gateway:SessionIdScanLimit"] = ScanLimit.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}
