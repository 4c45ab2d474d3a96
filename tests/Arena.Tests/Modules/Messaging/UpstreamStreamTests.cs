using System.Net;
using System.Text.Json;
using Arena.Tests.Support.FakeUpstreams;
using Xunit.Sdk;

namespace Arena.Tests.Modules.Messaging;

/// The mock models of <see cref="MessagingApp"/> and the <see cref="UpstreamModels"/>.
public sealed class UpstreamMessagingApp : MessagingApp
{
    public const string Upstream = UpstreamModels.Upstream;
    public const string Flaky = UpstreamModels.Flaky;

    private readonly UpstreamModels upstream;

    public UpstreamMessagingApp()
        : this(new UpstreamModels())
    {
    }

    private UpstreamMessagingApp(UpstreamModels upstream)
        : base(upstream)
    {
        this.upstream = upstream;
    }

    public FakeUpstream Server => upstream.Server;
}

public sealed class UpstreamStreamTests : IClassFixture<UpstreamMessagingApp>
{
    private readonly UpstreamMessagingApp app;

    public UpstreamStreamTests(UpstreamMessagingApp app)
    {
        this.app = app;
        app.Server.Reset();
    }

    [Theory]
    [InlineData("streaming")]
    [InlineData("legacy")]
    public async Task StreamMessage_ThirdTurn_UpstreamReceivesThatParticipantsHistory(string pipeline)
    {
        using var client = app.As($"upstream-history-{pipeline}");
        var session = await app.CreateSessionAsync(client, MessagingApp.Fast, UpstreamMessagingApp.Upstream);
        app.Server.Enqueue(
            FakeResponse.EventStream(OpenAIStream.Completion(["Paris ", "it is."])),
            FakeResponse.EventStream(OpenAIStream.Completion(["About ", "2 million."])),
            FakeResponse.EventStream(OpenAIStream.Completion(["You're ", "welcome."])));

        await MessagingApp.StreamAsync(client, session, "Capital of France?", pipeline: pipeline);
        await MessagingApp.StreamAsync(client, session, "Population?", pipeline: pipeline);
        await MessagingApp.StreamAsync(client, session, "Thanks", pipeline: pipeline);

        Assert.Equal(3, app.Server.Requests.Count);
        var sent = app.Server.Requests[2].Json.GetProperty("messages").EnumerateArray()
            .Select(m => $"{m.GetProperty("role").GetString()}: {Text(m.GetProperty("content"))}")
            .ToArray();
        // Oldest first, only participant b's own replies (never a's), then the new turn.
        Assert.Equal(
            ["user: Capital of France?", "assistant: Paris it is.", "user: Population?", "assistant: About 2 million.", "user: Thanks"],
            sent);
        var first = app.Server.Requests[0].Json.GetProperty("messages").EnumerateArray().Select(m => Text(m.GetProperty("content"))).ToArray();
        Assert.Equal(["Capital of France?"], first);
    }

    [Theory]
    [InlineData("streaming")]
    [InlineData("legacy")]
    public async Task StreamMessage_ClientDisconnects_UpstreamSeesItsConnectionClosedWithinOneSecond(string pipeline)
    {
        using var client = app.Hasty($"upstream-disconnect-{pipeline}");
        var session = await app.CreateSessionAsync(client, UpstreamMessagingApp.Upstream);
        app.Server.Enqueue(FakeResponse.EventStream(OpenAIStream.Role(), OpenAIStream.Content("Once upon "), FakeFrame.Stall));

        RecordedRequest upstream;
        using (var response = await client.SendAsync(MessagingApp.StreamRequest(session, "Tell me a long story", pipeline: pipeline), HttpCompletionOption.ResponseHeadersRead))
        {
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            Assert.Equal("a0:{\"content\":\"Once upon \"}", await reader.ReadLineAsync());
            upstream = Assert.Single(app.Server.Requests);
            Assert.False(upstream.ClientGone.IsCompleted);
        }

        var closed = await Task.WhenAny(upstream.ClientGone, Task.Delay(TimeSpan.FromSeconds(1)));
        Assert.True(closed == upstream.ClientGone, "the upstream request was still open 1 s after the client left");
        var reply = await StreamReplyTests.WaitForEndAsync(client, session, "a");
        Assert.Equal("cancelled", reply.GetProperty("status").GetString());
        Assert.Equal("Once upon ", reply.GetProperty("content").GetString());
    }

    [Theory]
    [InlineData("streaming")]
    [InlineData("legacy")]
    public async Task StreamMessage_CompareOneFailsMidStream_OtherCompletesAndRowsKeepThePartialText(string pipeline)
    {
        using var client = app.As($"upstream-midstream-{pipeline}");
        var session = await app.CreateSessionAsync(client, MessagingApp.Fast, UpstreamMessagingApp.Flaky);

        var (response, body) = await MessagingApp.StreamAsync(client, session, "Both of you, go", pipeline: pipeline);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var lines = body.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Count(l => l.StartsWith("b0:", StringComparison.Ordinal)));
        var failure = Array.FindIndex(lines, l => l.StartsWith("b3:", StringComparison.Ordinal));
        Assert.True(failure > Array.FindLastIndex(lines, l => l.StartsWith("b0:", StringComparison.Ordinal)), body);
        Assert.StartsWith("bd:{\"finishReason\":\"error\"", lines[Array.FindIndex(lines, l => l.StartsWith("bd:", StringComparison.Ordinal))], StringComparison.Ordinal);
        Assert.Single(lines, l => l.StartsWith("ad:{\"finishReason\":\"stop\"", StringComparison.Ordinal));

        var messages = await app.MessagesAsync(client, session);
        var a = messages.Single(m => m.GetProperty("participant").ValueKind == JsonValueKind.String && m.GetProperty("participant").GetString() == "a");
        var b = messages.Single(m => m.GetProperty("participant").ValueKind == JsonValueKind.String && m.GetProperty("participant").GetString() == "b");
        Assert.Equal("success", a.GetProperty("status").GetString());
        Assert.Equal("error", b.GetProperty("status").GetString());
        Assert.Equal(Joined(lines, "b0:"), b.GetProperty("content").GetString());
        Assert.NotEqual("", b.GetProperty("content").GetString());
        var error = JsonDocument.Parse(lines[failure][3..]).RootElement.GetProperty("error");
        Assert.Equal(error.GetProperty("code").GetString(), b.GetProperty("metadata").GetProperty("error").GetProperty("code").GetString());
    }

    internal static string Text(JsonElement content) => content.ValueKind == JsonValueKind.String
        ? content.GetString()!
        : string.Concat(content.EnumerateArray().Select(part => part.GetProperty("text").GetString()));

    private static string Joined(string[] lines, string prefix) =>
        string.Concat(lines.Where(l => l.StartsWith(prefix, StringComparison.Ordinal)).Select(l => JsonDocument.Parse(l[prefix.Length..]).RootElement.GetProperty("content").GetString()));
}
