using System.Net;
using Arena.Tests.Support;

namespace Arena.Tests.Modules.Messaging;

public sealed class LegacyCapacityApp : MessagingApp
{
    protected override void Configure(IDictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["Arena:Messaging:LegacyMaxConcurrentStreams"] = "1";
    }
}

public sealed class LegacyCapacityTests(LegacyCapacityApp app) : IClassFixture<LegacyCapacityApp>
{
    [Fact]
    public async Task LegacyStream_PoolFull_Answers503BeforeStoringWhileStreamingPipelineServes()
    {
        using var client = app.As("legacy-capacity");
        var (holding, refused, other) = (await app.CreateSessionAsync(client, MessagingApp.Slow), await app.CreateSessionAsync(client, MessagingApp.Fast), await app.CreateSessionAsync(client, MessagingApp.Fast));
        using var first = await client.SendAsync(MessagingApp.StreamRequest(holding, "hold the only slot", pipeline: "legacy"), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);

        using var busy = await client.SendAsync(MessagingApp.StreamRequest(refused, "no room", pipeline: "legacy"));
        var (streamed, _) = await MessagingApp.StreamAsync(client, other, "the async pipeline has room", pipeline: "streaming");

        await ProblemAssert.IsProblem(busy, HttpStatusCode.ServiceUnavailable);
        Assert.Equal(TimeSpan.FromSeconds(1), busy.Headers.RetryAfter?.Delta);
        Assert.Equal(0, await app.CountRowsAsync(refused));
        Assert.Equal(HttpStatusCode.OK, streamed.StatusCode);

        await (await first.Content.ReadAsStreamAsync()).CopyToAsync(Stream.Null);
        var (again, body) = await MessagingApp.StreamAsync(client, refused, "room again", pipeline: "legacy");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.EndsWith("ad:{\"finishReason\":\"stop\"", body[..body.LastIndexOf(",\"usage\"", StringComparison.Ordinal)], StringComparison.Ordinal);
    }
}
