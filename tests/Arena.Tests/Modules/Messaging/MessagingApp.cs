using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Arena.Tests.Support;
using Npgsql;

namespace Arena.Tests.Modules.Messaging;

/// The Host with mock models of known speeds: <c>fast-model</c> streams 4 chunks 20 ms apart, <c>slow-model</c> 4 chunks
/// 1.5 s apart, and <c>down-model</c> sits on a provider nothing answers, so it fails before its first chunk.
public class MessagingApp : ArenaApp
{
    public const string Fast = "fast-model";
    public const string Fast2 = "fast-model-2";
    public const string Slow = "slow-model";
    public const string Down = "down-model";
    public const int ChunkCount = 4;

    public MessagingApp()
    {
    }

    protected MessagingApp(params ArenaAppPart[] parts)
        : base(parts)
    {
    }

    protected override void Configure(IDictionary<string, string?> settings)
    {
        settings["Arena:Providers:fast:Kind"] = "mock";
        settings["Arena:Providers:fast:Mock:ChunkCount"] = $"{ChunkCount}";
        settings["Arena:Providers:fast:Mock:ChunkInterval"] = "00:00:00.020";
        settings["Arena:Providers:slow:Kind"] = "mock";
        settings["Arena:Providers:slow:Mock:ChunkCount"] = $"{ChunkCount}";
        settings["Arena:Providers:slow:Mock:ChunkInterval"] = "00:00:01.500";
        settings["Arena:Providers:down:Kind"] = "openai";
        settings["Arena:Providers:down:BaseUrl"] = "http://127.0.0.1:9/v1";
        settings["Arena:Providers:down:ApiKey"] = "sk-test-nothing-listens";
        settings["Arena:Models:fast-model:Provider"] = "fast";
        settings["Arena:Models:fast-model-2:Provider"] = "fast";
        settings["Arena:Models:slow-model:Provider"] = "slow";
        settings["Arena:Models:down-model:Provider"] = "down";
        settings["Arena:Models:down-model:ProviderModel"] = "gpt-test";
        // Every request goes through the gateway on the public path: streaming unless a test asks for legacy by header.
        settings["Arena:Gateway:StreamingShare"] = "100";
        settings["Arena:Gateway:AllowOverrideHeader"] = "true";
    }

    /// A client that closes the connection as soon as a response is disposed, like a browser tab going away
    /// (the default handler first drains the rest of the response to reuse the connection).
    public HttpClient Hasty(string user)
    {
        var client = new HttpClient(new SocketsHttpHandler { MaxResponseDrainSize = 0 }) { BaseAddress = BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TestTokens.For(user));
        return client;
    }

    public async Task<Guid> CreateSessionAsync(HttpClient client, string modelA, string? modelB = null)
    {
        var response = await client.PostAsJsonAsync("/api/sessions", modelB is null
            ? new { mode = "direct", model_a = modelA }
            : (object)new { mode = "compare", model_a = modelA, model_b = modelB });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetGuid();
    }

    public static HttpRequestMessage StreamRequest(Guid sessionId, string content, string? protocol = null, string path = "/api/messages/stream/", string? pipeline = null)
    {
        var body = JsonSerializer.Serialize(new { session_id = sessionId, messages = new[] { new { role = "user", content } } });
        var request = new HttpRequestMessage(HttpMethod.Post, path + (protocol is null ? "" : $"?protocol={protocol}"))
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        if (pipeline is not null)
        {
            request.Headers.Add("X-Arena-Pipeline", pipeline);
        }

        return request;
    }

    /// Sends a stream request and reads the whole response body as bytes.
    public static async Task<(HttpResponseMessage Response, string Body)> StreamAsync(HttpClient client, Guid sessionId, string content, string? protocol = null, string path = "/api/messages/stream/", string? pipeline = null)
    {
        var response = await client.SendAsync(StreamRequest(sessionId, content, protocol, path, pipeline), HttpCompletionOption.ResponseHeadersRead);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        return (response, Encoding.UTF8.GetString(bytes));
    }

    public async Task<JsonElement[]> MessagesAsync(HttpClient client, Guid sessionId)
    {
        var response = await client.GetAsync($"/api/sessions/{sessionId}/messages");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return [.. JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("items").EnumerateArray()];
    }

    public async Task<long> CountRowsAsync(Guid sessionId)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM messaging.messages WHERE session_id = @id", connection);
        command.Parameters.AddWithValue("id", sessionId);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    public async Task ExecuteAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        await command.ExecuteNonQueryAsync();
    }
}
