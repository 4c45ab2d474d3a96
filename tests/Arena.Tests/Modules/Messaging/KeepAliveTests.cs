namespace Arena.Tests.Modules.Messaging;

/// A Host that sends an SSE keep-alive after 0.4 s of silence. Kept apart from the other messaging tests, whose
/// exact-bytes assertions must not meet a keep-alive when a loaded machine leaves a gap between two events.
public sealed class KeepAliveMessagingApp : MessagingApp
{
    protected override void Configure(IDictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["Arena:Messaging:KeepAliveInterval"] = "00:00:00.400";
    }
}

public sealed class KeepAliveTests(KeepAliveMessagingApp app) : IClassFixture<KeepAliveMessagingApp>
{
    [Theory]
    [InlineData("streaming")]
    [InlineData("legacy")]
    public async Task StreamMessage_SseIdleLongerThanKeepAlive_SendsKeepAliveComment(string pipeline)
    {
        using var client = app.As($"keep-alive-{pipeline}");
        var session = await app.CreateSessionAsync(client, MessagingApp.Slow);

        using var response = await client.SendAsync(MessagingApp.StreamRequest(session, "Slowly", protocol: "sse", pipeline: pipeline), HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var lines = new List<string>();
        while (await reader.ReadLineAsync() is { } line && !line.StartsWith("event: delta", StringComparison.Ordinal))
        {
            lines.Add(line);
        }

        // The slow model's first chunk comes after 1.5 s, well past the 0.4 s keep-alive.
        Assert.Equal(pipeline, Assert.Single(response.Headers.GetValues("X-Arena-Pipeline")));
        Assert.Equal(["retry: 1000", "", "id: 1", "event: start"], lines[..4]);
        Assert.Contains(": keep-alive", lines);
    }

    [Theory]
    [InlineData("streaming")]
    [InlineData("legacy")]
    public async Task StreamMessage_DataProtocolIdle_SendsNoKeepAlive(string pipeline)
    {
        using var client = app.As($"no-keep-alive-{pipeline}");
        var session = await app.CreateSessionAsync(client, MessagingApp.Slow);

        var (_, body) = await MessagingApp.StreamAsync(client, session, "Slowly", pipeline: pipeline);

        // The old service's line format has no comment syntax: its clients would choke on one.
        Assert.All(body.Split('\n', StringSplitOptions.RemoveEmptyEntries), line => Assert.Matches("^a[03d]:", line));
    }
}
