using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Arena.Tests.Support;
using Npgsql;

namespace Arena.Tests.Reliability;

/// SIGTERM of a real Host process with compare streams open on both pipelines and both protocols.
public sealed class ShutdownTests
{
    private const string Model = "slow-mock";
    private const string Model2 = "slow-mock-2";

    // A reply of 120 chunks a quarter of a second apart runs for half a minute: far past the drain's deadline.
    private static readonly Dictionary<string, string> Settings = new()
    {
        ["Arena:Providers:slowmock:Kind"] = "mock",
        ["Arena:Providers:slowmock:Mock:ChunkCount"] = "120",
        ["Arena:Providers:slowmock:Mock:ChunkInterval"] = "00:00:00.250",
        ["Arena:Models:slow-mock:Provider"] = "slowmock",
        ["Arena:Models:slow-mock-2:Provider"] = "slowmock",
        ["Arena:Gateway:StreamingShare"] = "100",
        ["Arena:Gateway:AllowOverrideHeader"] = "true",
        ["Arena:Messaging:DrainTimeout"] = "00:00:05",
        ["Arena:Messaging:StreamHostHeartbeat"] = "00:00:01",
        ["Arena:Messaging:StreamHostLease"] = "00:00:05",
        // No tick during the test: the ended turns' stream positions can only be stored by the drain.
        ["Arena:Messaging:PartialFlushInterval"] = "00:10:00",
    };

    [Fact]
    public async Task Host_SigtermWithStreamsOpen_EndsThemAsShutdownStoresThemInterruptedAndExitsZero()
    {
        var database = await PostgresServer.CreateDatabaseAsync();
        try
        {
            Guid[] sessions;
            await using (var host = await HostProcess.StartAsync(database, Settings))
            {
                using var client = host.As("shutdown");
                sessions = [await CompareAsync(client), await CompareAsync(client), await CompareAsync(client), await CompareAsync(client)];
                // Streaming pipeline with sse, legacy with data, and a resumable turn (streaming, data) that a resume must find.
                var streams = new[]
                {
                    await OpenAsync(client, sessions[0], "sse", "streaming", resumable: false),
                    await OpenAsync(client, sessions[1], "data", "legacy", resumable: false),
                    await OpenAsync(client, sessions[2], "data", "streaming", resumable: true),
                };
                foreach (var stream in streams)
                {
                    await stream.ReadUntilAsync(text => text.Contains("a0:", StringComparison.Ordinal) || text.Contains("event: delta", StringComparison.Ordinal));
                }

                host.Terminate();

                // Readiness fails first, while the server still answers.
                await Eventually.TrueAsync(async () => (await client.GetAsync("/health/ready")).StatusCode == HttpStatusCode.ServiceUnavailable, "readiness never failed");
                foreach (var pipeline in new[] { "streaming", "legacy" })
                {
                    using var refused = await client.SendAsync(StreamRequest(sessions[3], "sse", pipeline, resumable: false), HttpCompletionOption.ResponseHeadersRead);
                    Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
                    Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
                    Assert.NotNull(refused.Headers.RetryAfter);
                    Assert.Equal(pipeline, refused.Headers.GetValues("X-Arena-Pipeline").Single());
                }

                var bodies = new List<string>();
                foreach (var stream in streams)
                {
                    bodies.Add(await stream.ReadToEndAsync());
                }

                // The sse client reads an error per participant with code shutdown, then done.
                var sse = bodies[0];
                Assert.Contains("event: error\ndata: {\"participant\":\"a\",\"error\":{\"code\":\"shutdown\"", sse, StringComparison.Ordinal);
                Assert.Contains("event: error\ndata: {\"participant\":\"b\",\"error\":{\"code\":\"shutdown\"", sse, StringComparison.Ordinal);
                Assert.EndsWith("event: done\ndata: {}\n\n", sse, StringComparison.Ordinal);
                Assert.DoesNotContain("event: finish", sse, StringComparison.Ordinal);
                foreach (var data in bodies.Skip(1))
                {
                    var lines = data.Split('\n', StringSplitOptions.RemoveEmptyEntries);
                    Assert.Contains(lines, l => l.StartsWith("a3:{\"error\":{\"code\":\"shutdown\"", StringComparison.Ordinal));
                    Assert.Contains(lines, l => l.StartsWith("b3:{\"error\":{\"code\":\"shutdown\"", StringComparison.Ordinal));
                    Assert.DoesNotContain(lines, l => l[1] == 'd');
                }

                var exitCode = await host.WaitForExitAsync(TimeSpan.FromMinutes(1));
                Assert.True(exitCode == 0, $"exit code {exitCode}\n{host.Output}");
                Assert.DoesNotContain("Unhandled exception", host.Output, StringComparison.Ordinal);

                await using var connection = new NpgsqlConnection(database);
                await connection.OpenAsync();
                for (var i = 0; i < streams.Length; i++)
                {
                    var replies = await RepliesAsync(connection, sessions[i]);
                    Assert.Equal(2, replies.Count);
                    foreach (var (participant, status, content, metadata, positioned) in replies)
                    {
                        Assert.Equal("interrupted", status);
                        Assert.True(positioned, $"the drain did not store the positions of stream {i}'s reply {participant}");
                        // What the client read is what was stored, or a prefix of it (chunks still on the way when it ended).
                        var received = Received(bodies[i], participant, sse: i == 0);
                        Assert.NotEmpty(received);
                        Assert.StartsWith(received, content, StringComparison.Ordinal);
                        using var stored = JsonDocument.Parse(metadata!);
                        Assert.Equal("shutdown", stored.RootElement.GetProperty("error").GetProperty("code").GetString());
                        Assert.Equal("error", stored.RootElement.GetProperty("finish_reason").GetString());
                        Assert.True(stored.RootElement.GetProperty("duration_ms").GetInt64() > 0);
                        Assert.True(stored.RootElement.GetProperty("ttft_ms").GetInt64() >= 0);
                    }
                }

                await using var leases = new NpgsqlCommand("SELECT count(*) FROM messaging.stream_hosts", connection);
                Assert.Equal(0L, (long)(await leases.ExecuteScalarAsync())!);
                Assert.Equal(0L, await CountAsync(connection, sessions[3]));
            }

            // The resumable turn was handed back: another instance answers its resume from the stored rows, ending each
            // participant with the shutdown's error.
            await using (var second = await HostProcess.StartAsync(database, Settings))
            {
                using var client = second.As("shutdown");
                using var resume = await client.GetAsync($"/api/sessions/{sessions[2]}/stream");
                Assert.Equal(HttpStatusCode.OK, resume.StatusCode);
                var replay = await resume.Content.ReadAsStringAsync();
                Assert.Contains("event: error\ndata: {\"participant\":\"a\",\"error\":{\"code\":\"shutdown\"", replay, StringComparison.Ordinal);
                Assert.Contains("event: error\ndata: {\"participant\":\"b\",\"error\":{\"code\":\"shutdown\"", replay, StringComparison.Ordinal);
                Assert.EndsWith("event: done\ndata: {}\n\n", replay, StringComparison.Ordinal);
                second.Terminate();
                Assert.Equal(0, await second.WaitForExitAsync(TimeSpan.FromMinutes(1)));
            }
        }
        finally
        {
            await PostgresServer.DropDatabaseAsync(database);
        }
    }

    private static async Task<Guid> CompareAsync(HttpClient client)
    {
        using var response = await client.PostAsJsonAsync("/api/sessions", new { mode = "compare", model_a = Model, model_b = Model2 });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetGuid();
    }

    private static HttpRequestMessage StreamRequest(Guid session, string protocol, string pipeline, bool resumable)
    {
        var body = JsonSerializer.Serialize(new { session_id = session, resumable = resumable ? (bool?)true : null, messages = new[] { new { role = "user", content = "Tell me about graceful shutdowns." } } });
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/messages/stream/?protocol={protocol}") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("X-Arena-Pipeline", pipeline);
        return request;
    }

    private static async Task<OpenStream> OpenAsync(HttpClient client, Guid session, string protocol, string pipeline, bool resumable)
    {
        var response = await client.SendAsync(StreamRequest(session, protocol, pipeline, resumable), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return new OpenStream(response, await response.Content.ReadAsStreamAsync());
    }

    /// The text one participant received: the contents of its chunks, in order.
    private static string Received(string body, string participant, bool sse)
    {
        var text = new StringBuilder();
        if (sse)
        {
            foreach (var block in body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
            {
                if (block.Contains("\nevent: delta\n", StringComparison.Ordinal))
                {
                    using var data = JsonDocument.Parse(block[(block.IndexOf("data: ", StringComparison.Ordinal) + 6)..]);
                    if (data.RootElement.GetProperty("participant").GetString() == participant)
                    {
                        text.Append(data.RootElement.GetProperty("content").GetString());
                    }
                }
            }

            return text.ToString();
        }

        foreach (var line in body.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith(participant + "0:", StringComparison.Ordinal))
            {
                using var data = JsonDocument.Parse(line[3..]);
                text.Append(data.RootElement.GetProperty("content").GetString());
            }
        }

        return text.ToString();
    }

    private static async Task<List<(string Participant, string Status, string Content, string? Metadata, bool Positioned)>> RepliesAsync(NpgsqlConnection connection, Guid session)
    {
        await using var command = new NpgsqlCommand(
            "SELECT participant, status, content, metadata::text, stream_positions IS NOT NULL FROM messaging.messages WHERE session_id = @id AND role = 'assistant' ORDER BY participant", connection);
        command.Parameters.AddWithValue("id", session);
        var replies = new List<(string, string, string, string?, bool)>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            replies.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3), reader.GetBoolean(4)));
        }

        return replies;
    }

    private static async Task<long> CountAsync(NpgsqlConnection connection, Guid session)
    {
        await using var command = new NpgsqlCommand("SELECT count(*) FROM messaging.messages WHERE session_id = @id", connection);
        command.Parameters.AddWithValue("id", session);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// A stream being read as it arrives.
    private sealed class OpenStream(HttpResponseMessage response, Stream body)
    {
        private readonly StringBuilder text = new();
        private readonly byte[] buffer = new byte[8192];
        private readonly Decoder decoder = Encoding.UTF8.GetDecoder();

        public async Task ReadUntilAsync(Func<string, bool> seen)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while (!seen(text.ToString()))
            {
                var read = await body.ReadAsync(buffer, timeout.Token);
                Assert.True(read > 0, "the stream ended early: " + text);
                Append(read);
            }
        }

        public async Task<string> ReadToEndAsync()
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            int read;
            while ((read = await body.ReadAsync(buffer, timeout.Token)) > 0)
            {
                Append(read);
            }

            response.Dispose();
            return text.ToString();
        }

        private void Append(int read)
        {
            var chars = new char[decoder.GetCharCount(buffer, 0, read)];
            decoder.GetChars(buffer, 0, read, chars, 0);
            text.Append(chars);
        }
    }
}
