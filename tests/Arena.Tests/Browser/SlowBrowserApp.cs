namespace Arena.Tests.Browser;

/// The browser tests' Host with mock models slow enough (40 chunks 250 ms apart: about 10 s a reply) that a test can
/// stop a turn, reload the page or cut the connection while both replies are still being written, and the turn is
/// still running once the page or an EventSource has come back.
public sealed class SlowBrowserApp : BrowserApp
{
    protected override void Configure(IDictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["Arena:Providers:mock:Mock:ChunkCount"] = "40";
        settings["Arena:Providers:mock:Mock:ChunkInterval"] = "00:00:00.250";
    }
}
