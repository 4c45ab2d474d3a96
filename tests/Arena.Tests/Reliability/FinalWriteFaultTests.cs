using System.Net;
using System.Text.Json;
using Arena.Tests.Modules.Messaging;
using Arena.Tests.Support;
using Npgsql;

namespace Arena.Tests.Reliability;

public sealed class FinalWriteFaultApp : MessagingApp
{
    protected override void Configure(IDictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["Arena:Messaging:FinalWriteWait"] = "00:00:05";
        settings["Arena:Messaging:StreamHostHeartbeat"] = "00:00:01";
        settings["Arena:Messaging:StreamHostLease"] = "00:00:05";
    }
}

/// The database refuses a reply's final write (a trigger that raises on every UPDATE that ends a reply, a real fault
/// of the real database), and comes back later.
public sealed class FinalWriteFaultTests(FinalWriteFaultApp app) : IClassFixture<FinalWriteFaultApp>, IAsyncLifetime
{
    private const string Fault =
        """
        CREATE SEQUENCE IF NOT EXISTS messaging.refused_final_writes;
        CREATE OR REPLACE FUNCTION messaging.refuse_final_write() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.status <> 'streaming' THEN
                PERFORM nextval('messaging.refused_final_writes');
                RAISE EXCEPTION 'final writes are refused for this test';
            END IF;
            RETURN NEW;
        END $$;
        CREATE TRIGGER refuse_final_write BEFORE UPDATE ON messaging.messages FOR EACH ROW EXECUTE FUNCTION messaging.refuse_final_write();
        """;

    private const string Cure = "DROP TRIGGER IF EXISTS refuse_final_write ON messaging.messages";

    // Longer than the usual bound: a refused final write is retried on the writer's backoff, not at once.
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    public Task InitializeAsync() => app.ExecuteAsync("DROP SEQUENCE IF EXISTS messaging.refused_final_writes");

    public Task DisposeAsync() => app.ExecuteAsync(Cure);

    [Theory]
    [InlineData("streaming")]
    [InlineData("legacy")]
    public async Task Stream_FinalWriteRefusedPastTheWait_FinishSaysNotStoredAndTheRowEndsSuccessOnceTheDatabaseIsBack(string pipeline)
    {
        using var client = app.As("final-write-refused-" + pipeline);
        var session = await app.CreateSessionAsync(client, MessagingApp.Fast, MessagingApp.Fast2);
        await app.ExecuteAsync(Fault);
        string data;
        string sse;
        try
        {
            (_, data) = await MessagingApp.StreamAsync(client, session, "first", pipeline: pipeline);
        }
        finally
        {
            await app.ExecuteAsync(Cure);
        }

        // Both pipelines and both protocols tell the truth: the ends of both replies were not stored when they were sent.
        var ends = data.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l[1] == 'd').ToList();
        Assert.Equal(2, ends.Count);
        Assert.All(ends, end => Assert.EndsWith(",\"stored\":false}", end, StringComparison.Ordinal));

        // The retries land once the database takes the write again: the whole reply, as the client read it.
        var replies = await SettledAsync(client, session, 1);
        foreach (var participant in new[] { "a", "b" })
        {
            var reply = Assert.Single(replies, r => r.GetProperty("participant").GetString() == participant);
            Assert.Equal("success", reply.GetProperty("status").GetString());
            Assert.Equal(Received(data, participant), reply.GetProperty("content").GetString());
            Assert.Equal("stop", reply.GetProperty("metadata").GetProperty("finish_reason").GetString());
        }

        await app.ExecuteAsync(Fault);
        try
        {
            (_, sse) = await MessagingApp.StreamAsync(client, session, "second", protocol: "sse", pipeline: pipeline);
        }
        finally
        {
            await app.ExecuteAsync(Cure);
        }

        var finishes = sse.Split("\n\n").Where(e => e.Contains("event: finish\n", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, finishes.Count);
        Assert.All(finishes, finish => Assert.EndsWith(",\"stored\":false}", finish, StringComparison.Ordinal));
        Assert.All(await SettledAsync(client, session, 2), r => Assert.Equal("success", r.GetProperty("status").GetString()));
    }

    [Fact]
    public async Task Stream_FinalWriteRefusedThenAcceptedWithinTheWait_FinishSaysStored()
    {
        using var client = app.As("final-write-retried");
        var session = await app.CreateSessionAsync(client, MessagingApp.Fast);
        await app.ExecuteAsync(Fault);
        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(MessagingApp.StreamRequest(session, "hello", protocol: "sse"), HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            // The first attempt was refused: the database is back before the finish event's wait is over.
            await Eventually.TrueAsync(async () => await RefusedAsync() > 0, "the final write never reached the database", Patience);
        }
        finally
        {
            await app.ExecuteAsync(Cure);
        }

        var sse = await response.Content.ReadAsStringAsync();
        response.Dispose();
        var finish = Assert.Single(sse.Split("\n\n"), e => e.Contains("event: finish\n", StringComparison.Ordinal));
        Assert.EndsWith(",\"stored\":true}", finish, StringComparison.Ordinal);
        var reply = Assert.Single(await app.MessagesAsync(client, session), m => m.GetProperty("role").GetString() == "assistant");
        Assert.Equal("success", reply.GetProperty("status").GetString());
    }

    private async Task<long> RefusedAsync()
    {
        await using var connection = new NpgsqlConnection(app.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM messaging.refused_final_writes", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// The replies of the session's turn number <paramref name="turn"/> (from 1), once none of them is streaming.
    private async Task<List<JsonElement>> SettledAsync(HttpClient client, Guid session, int turn)
    {
        List<JsonElement> replies = [];
        await Eventually.TrueAsync(
            async () =>
            {
                var messages = await app.MessagesAsync(client, session);
                var user = messages.Where(m => m.GetProperty("role").GetString() == "user").ElementAt(turn - 1).GetProperty("id").GetGuid();
                replies = [.. messages.Where(m => m.TryGetProperty("parent_id", out var parent) && parent.ValueKind == JsonValueKind.String && parent.GetGuid() == user)];
                return replies.Count > 0 && replies.TrueForAll(r => r.GetProperty("status").GetString() != "streaming");
            },
            "the final writes never landed after the database came back",
            Patience);
        return replies;
    }

    private static string Received(string data, string participant) => string.Concat(
        data.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(l => l.StartsWith(participant + "0:", StringComparison.Ordinal))
            .Select(l => JsonDocument.Parse(l[3..]).RootElement.GetProperty("content").GetString()));
}
