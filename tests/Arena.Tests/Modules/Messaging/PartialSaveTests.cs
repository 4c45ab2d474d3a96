using System.Net;
using System.Text;
using System.Text.Json;
using Npgsql;

namespace Arena.Tests.Modules.Messaging;

/// A Host that copies partial content every 200 ms, with a model that streams 8 chunks 300 ms apart and whose provider
/// gives up after 5 s without an update: the test holds the row lock until every chunk has arrived, so a read loop that
/// waited for the blocked database would deliver no more chunks and end in that timeout (5 s leaves room for a busy machine).
public sealed class PartialSaveApp : MessagingApp
{
    public const string Paced = "paced-model";
    public const int PacedChunks = 8;

    protected override void Configure(IDictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["Arena:Messaging:PartialFlushInterval"] = "00:00:00.200";
        settings["Arena:Messaging:FinalWriteTimeout"] = "00:01:00";
        settings["Arena:Providers:paced:Kind"] = "mock";
        settings["Arena:Providers:paced:IdleTimeout"] = "00:00:05";
        settings["Arena:Providers:paced:Mock:ChunkCount"] = $"{PacedChunks}";
        settings["Arena:Providers:paced:Mock:ChunkInterval"] = "00:00:00.300";
        settings["Arena:Models:paced-model:Provider"] = "paced";
    }
}

public sealed class PartialSaveTests(PartialSaveApp app) : IClassFixture<PartialSaveApp>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData("streaming")]
    [InlineData("legacy")]
    public async Task PartialSave_DatabaseRowLocked_ChunksKeepComingAndTheReplyEndsOnceReleased(string pipeline)
    {
        using var client = app.As($"partial-locked-{pipeline}");
        var session = await app.CreateSessionAsync(client, PartialSaveApp.Paced);
        using var patience = new CancellationTokenSource(Patience);

        using var response = await client.SendAsync(MessagingApp.StreamRequest(session, "Keep talking", pipeline: pipeline), HttpCompletionOption.ResponseHeadersRead, patience.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        // The rows exist before the first byte, so the reply's row can be locked before any partial copy of it.
        var reply = await ReplyIdAsync(session);
        await using var locker = new NpgsqlConnection(app.ConnectionString);
        await locker.OpenAsync(patience.Token);
        await using var hold = await locker.BeginTransactionAsync(patience.Token);
        await using (var lockRow = new NpgsqlCommand("SELECT 1 FROM messaging.messages WHERE id = @id FOR UPDATE", locker, hold))
        {
            lockRow.Parameters.AddWithValue("id", reply);
            await lockRow.ExecuteNonQueryAsync(patience.Token);
        }

        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(patience.Token), Encoding.UTF8);
        var deltas = new List<string>();
        var deltasAfterASaveBlocked = 0;
        var saveBlocked = false;
        while (deltas.Count < PartialSaveApp.PacedChunks && await reader.ReadLineAsync(patience.Token) is { } line)
        {
            Assert.False(line.StartsWith("a3:", StringComparison.Ordinal), $"the reply failed while the database was blocked: {line}");
            if (line.StartsWith("a0:", StringComparison.Ordinal))
            {
                deltas.Add(JsonDocument.Parse(line[3..]).RootElement.GetProperty("content").GetString()!);
                saveBlocked = saveBlocked || await PartialSaveWaitsOnALockAsync();
                deltasAfterASaveBlocked += saveBlocked ? 1 : 0;
            }
        }

        // Every chunk arrived while the row stayed locked and a partial copy of it was stuck behind that lock.
        Assert.Equal(PartialSaveApp.PacedChunks, deltas.Count);
        Assert.True(saveBlocked, "no partial save ever waited on the locked row");
        Assert.True(deltasAfterASaveBlocked >= 2, $"only {deltasAfterASaveBlocked} chunks arrived after a partial save blocked");

        await hold.RollbackAsync(patience.Token);
        var rest = await reader.ReadToEndAsync(patience.Token);
        Assert.Matches("ad:\\{\"finishReason\":\"stop\"", rest);
        var messages = await app.MessagesAsync(client, session);
        var stored = Assert.Single(messages, m => m.GetProperty("role").GetString() == "assistant");
        Assert.Equal("success", stored.GetProperty("status").GetString());
        Assert.Equal(string.Concat(deltas), stored.GetProperty("content").GetString());
    }

    [Theory]
    [InlineData("streaming")]
    [InlineData("legacy")]
    public async Task PartialSave_LongReply_StoresTheContentSoFarWhileStreaming(string pipeline)
    {
        using var client = app.As($"partial-saved-{pipeline}");
        var session = await app.CreateSessionAsync(client, PartialSaveApp.Paced);
        using var patience = new CancellationTokenSource(Patience);

        using var response = await client.SendAsync(MessagingApp.StreamRequest(session, "Say a lot", pipeline: pipeline), HttpCompletionOption.ResponseHeadersRead, patience.Token);
        var reply = await ReplyIdAsync(session);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(patience.Token), Encoding.UTF8);
        var streamed = new StringBuilder();
        string? saved = null;
        while (await reader.ReadLineAsync(patience.Token) is { } line)
        {
            if (!line.StartsWith("a0:", StringComparison.Ordinal))
            {
                continue;
            }

            streamed.Append(JsonDocument.Parse(line[3..]).RootElement.GetProperty("content").GetString());
            var (status, content) = await RowAsync(reply);
            if (status == "streaming" && content.Length > 0)
            {
                saved = content;
                break;
            }
        }

        Assert.NotNull(saved);
        Assert.StartsWith(saved, streamed.ToString(), StringComparison.Ordinal);
        await reader.ReadToEndAsync(patience.Token);
    }

    private async Task<Guid> ReplyIdAsync(Guid session)
    {
        await using var connection = new NpgsqlConnection(app.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT id FROM messaging.messages WHERE session_id = @id AND role = 'assistant'", connection);
        command.Parameters.AddWithValue("id", session);
        return (Guid)(await command.ExecuteScalarAsync())!;
    }

    private async Task<(string Status, string Content)> RowAsync(Guid reply)
    {
        await using var connection = new NpgsqlConnection(app.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT status, content FROM messaging.messages WHERE id = @id", connection);
        command.Parameters.AddWithValue("id", reply);
        await using var row = await command.ExecuteReaderAsync();
        Assert.True(await row.ReadAsync());
        return (row.GetString(0), row.GetString(1));
    }

    private async Task<bool> PartialSaveWaitsOnALockAsync()
    {
        await using var connection = new NpgsqlConnection(app.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'UPDATE messaging.messages AS m SET content%'",
            connection);
        return (long)(await command.ExecuteScalarAsync())! > 0;
    }
}
