using Arena.Tests.Support;
using Arena.Tests.Support.FakeUpstreams;

namespace Arena.Tests.Modules.Messaging;

public sealed class HistoryBudgetApp : MessagingApp
{
    // Two earlier turns of 44 + 30 characters each: the newer fits, both do not, and the newer plus the older reply would.
    public const int Budget = 110;

    private readonly UpstreamModels upstream;

    public HistoryBudgetApp()
        : this(new UpstreamModels())
    {
    }

    private HistoryBudgetApp(UpstreamModels upstream)
        : base(upstream, ArenaAppPart.Settings(("Arena:Messaging:HistoryBudget", $"{Budget}")))
    {
        this.upstream = upstream;
    }

    public FakeUpstream Server => upstream.Server;
}

public sealed class HistoryBudgetTests : IClassFixture<HistoryBudgetApp>
{
    private readonly HistoryBudgetApp app;

    public HistoryBudgetTests(HistoryBudgetApp app)
    {
        this.app = app;
        app.Server.Reset();
    }

    [Fact]
    public async Task StreamMessage_HistoryOverBudget_SendsTheNewestWholeTurnsStartingWithTheUser()
    {
        using var client = app.As("budget");
        var session = await app.CreateSessionAsync(client, UpstreamMessagingApp.Upstream);
        var (first, second) = ("one " + new string('q', 40), "two " + new string('q', 40));
        var (firstReply, secondReply) = (new string('r', 30), new string('s', 30));
        app.Server.Enqueue(
            FakeResponse.EventStream(OpenAIStream.Completion([firstReply])),
            FakeResponse.EventStream(OpenAIStream.Completion([secondReply])),
            FakeResponse.EventStream(OpenAIStream.Completion(["done"])));

        await MessagingApp.StreamAsync(client, session, first);
        await MessagingApp.StreamAsync(client, session, second);
        await MessagingApp.StreamAsync(client, session, "three");

        var sent = app.Server.Requests[2].Json.GetProperty("messages").EnumerateArray()
            .Select(m => $"{m.GetProperty("role").GetString()}: {UpstreamStreamTests.Text(m.GetProperty("content"))}")
            .ToArray();
        // Counting characters alone would also have taken the older reply (30 more, 104 in all) without its question.
        Assert.Equal([$"user: {second}", $"assistant: {secondReply}", "user: three"], sent);
    }

    [Fact]
    public async Task StreamMessage_EarlierReplyFailed_SendsItsQuestionWithoutAReply()
    {
        using var client = app.As("budget-failed");
        var session = await app.CreateSessionAsync(client, UpstreamMessagingApp.Upstream);
        app.Server.Enqueue(
            FakeResponse.Json(400, """{"error":{"message":"bad","type":"invalid_request_error"}}"""),
            FakeResponse.EventStream(OpenAIStream.Completion(["fine"])));

        await MessagingApp.StreamAsync(client, session, "first try");
        await MessagingApp.StreamAsync(client, session, "again");

        var sent = app.Server.Requests[1].Json.GetProperty("messages").EnumerateArray()
            .Select(m => $"{m.GetProperty("role").GetString()}: {UpstreamStreamTests.Text(m.GetProperty("content"))}")
            .ToArray();
        Assert.Equal(["user: first try", "user: again"], sent);
    }
}
