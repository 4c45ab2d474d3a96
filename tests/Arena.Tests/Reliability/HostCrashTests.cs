using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Arena.Tests.Modules.Messaging;
using Arena.Tests.Support;
using Npgsql;

namespace Arena.Tests.Reliability;

public sealed class HostCrashTests
{
    private const string Paced = "paced-model";
    private const string Paced2 = "paced-model-2";

    /// Replies of 40 chunks 250 ms apart, copied every 200 ms; a lease of 3 s renewed every second, so the second Host
    /// takes the first for dead 3 s after its last heartbeat.
    private static readonly Dictionary<string, string> Settings = new()
    {
        ["Arena:Providers:paced:Kind"] = "mock",
        ["Arena:Providers:paced:Mock:ChunkCount"] = "40",
        ["Arena:Providers:paced:Mock:ChunkInterval"] = "00:00:00.250",
        ["Arena:Models:paced-model:Provider"] = "paced",
        ["Arena:Models:paced-model-2:Provider"] = "paced",
        ["Arena:Messaging:PartialFlushInterval"] = "00:00:00.200",
        ["Arena:Messaging:StreamHostHeartbeat"] = "00:00:01",
        ["Arena:Messaging:StreamHostLease"] = "00:00:03",
        ["Arena:Gateway:StreamingShare"] = "100",
        ["Arena:Gateway:AllowOverrideHeader"] = "true",
    };

    [Fact]
    public async Task HostProcess_KilledWithStreamsOpenOnBothPipelines_SecondHostMarksRepliesInterruptedWithTheirPartialContent()
    {
        var database = await PostgresServer.CreateDatabaseAsync();
        try
        {
            var first = await HostProcess.StartAsync(database, Settings);
            var streams = new List<(Guid Session, StreamReader Reader, HttpResponseMessage Response, Dictionary<char, StringBuilder> Streamed)>();
            using var client = first.As("crash");
            using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(120));
            try
            {
                foreach (var pipeline in new[] { "streaming", "legacy" })
                {
                    using var created = await client.PostAsJsonAsync("/api/sessions", new { mode = "compare", model_a = Paced, model_b = Paced2 }, patience.Token);
                    Assert.Equal(HttpStatusCode.Created, created.StatusCode);
                    var session = JsonDocument.Parse(await created.Content.ReadAsStringAsync(patience.Token)).RootElement.GetProperty("id").GetGuid();
                    var response = await client.SendAsync(MessagingApp.StreamRequest(session, "Tell me everything", pipeline: pipeline), HttpCompletionOption.ResponseHeadersRead, patience.Token);
                    Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                    streams.Add((session, new StreamReader(await response.Content.ReadAsStreamAsync(patience.Token), Encoding.UTF8), response, new() { ['a'] = new(), ['b'] = new() }));
                }

                // Both participants of both streams have sent a few chunks, and a partial copy of each reply is stored.
                foreach (var (session, reader, _, streamed) in streams)
                {
                    while (streamed.Values.Any(s => s.Length == 0) || !(await RowsAsync(database, session)).All(r => r.Content.Length > 0))
                    {
                        var line = await reader.ReadLineAsync(patience.Token);
                        Assert.NotNull(line);
                        Append(streamed, line);
                    }
                }

                await first.KillAsync();

                foreach (var (_, reader, _, streamed) in streams)
                {
                    var rest = new StringBuilder();
                    try
                    {
                        while (await reader.ReadLineAsync(patience.Token) is { } line)
                        {
                            Append(streamed, line);
                            rest.AppendLine(line);
                        }
                    }
                    catch (Exception exception) when (exception is IOException or HttpRequestException)
                    {
                        // The connection was reset with the process: what a client of a crashed server sees.
                    }

                    Assert.DoesNotContain("d:{", rest.ToString(), StringComparison.Ordinal);
                }
            }
            finally
            {
                await first.DisposeAsync();
                foreach (var (_, reader, response, _) in streams)
                {
                    reader.Dispose();
                    response.Dispose();
                }
            }

            await using var second = await HostProcess.StartAsync(database, Settings);
            foreach (var (session, _, _, streamed) in streams)
            {
                var rows = await SettledAsync(database, session, patience.Token);
                Assert.Equal(2, rows.Count);
                foreach (var row in rows)
                {
                    Assert.Equal("interrupted", row.Status);
                    Assert.NotEqual("", row.Content);
                    Assert.StartsWith(row.Content, streamed[row.Participant[0]].ToString(), StringComparison.Ordinal);
                }
            }
        }
        finally
        {
            await PostgresServer.DropDatabaseAsync(database);
        }
    }

    private static void Append(Dictionary<char, StringBuilder> streamed, string line)
    {
        if (line.Length > 3 && line[1] == '0' && line[2] == ':')
        {
            streamed[line[0]].Append(JsonDocument.Parse(line[3..]).RootElement.GetProperty("content").GetString());
        }
    }

    private static async Task<List<(string Participant, string Status, string Content)>> RowsAsync(string database, Guid session)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT participant, status, content FROM messaging.messages WHERE session_id = @id AND role = 'assistant'", connection);
        command.Parameters.AddWithValue("id", session);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<(string, string, string)>();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2)));
        }

        return rows;
    }

    /// Polls until no reply of the session is streaming any more: the second Host sweeps on its own heartbeat.
    private static Task<List<(string Participant, string Status, string Content)>> SettledAsync(string database, Guid session, CancellationToken cancellationToken) =>
        Eventually.UntilAsync(
            () => RowsAsync(database, session),
            rows => rows.Count > 0 && rows.All(r => r.Status != "streaming"),
            rows => $"the replies never settled: {string.Join(", ", rows.Select(r => $"{r.Participant} {r.Status}"))}",
            Timeout.InfiniteTimeSpan,
            cancellationToken);
}
