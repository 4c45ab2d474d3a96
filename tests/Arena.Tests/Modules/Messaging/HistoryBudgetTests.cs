using System.Text.Json;

namespace Arena.Tests.Modules.Messaging;

public sealed class HistoryBudgetApp : MessagingApp
{
    public const int Budget = 400;

    protected override void Configure(IDictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["Arena:Messaging:HistoryBudget"] = $"{Budget}";
    }
}

public sealed class HistoryBudgetTests(HistoryBudgetApp app) : IClassFixture<HistoryBudgetApp>
{
    [Fact]
    public async Task StreamMessage_HistoryOverBudget_SendsOnlyTheNewestTurnsThatFit()
    {
        using var client = app.As("budget");
        var session = await app.CreateSessionAsync(client, MessagingApp.Fast);
        var question = new string('q', 40);

        await MessagingApp.StreamAsync(client, session, "one " + question);
        await MessagingApp.StreamAsync(client, session, "two " + question);
        await MessagingApp.StreamAsync(client, session, "three");

        var messages = await app.MessagesAsync(client, session);
        var earlier = messages[..4].Select(m => m.GetProperty("content").GetString()!).ToArray();
        Assert.True(earlier.Sum(c => c.Length) > HistoryBudgetApp.Budget);
        var kept = new List<string>();
        var spent = 0;
        foreach (var content in earlier.Reverse())
        {
            spent += content.Length;
            if (spent > HistoryBudgetApp.Budget)
            {
                break;
            }

            kept.Add(content);
        }

        Assert.InRange(kept.Count, 1, 3);
        var prompt = messages[5].GetProperty("metadata").GetProperty("usage").GetProperty("prompt_tokens").GetInt64();
        Assert.Equal(kept.Append("three").Sum(c => 1 + (c.Length / 4)), prompt);
        Assert.Equal(JsonValueKind.String, messages[5].GetProperty("content").ValueKind);
    }
}
