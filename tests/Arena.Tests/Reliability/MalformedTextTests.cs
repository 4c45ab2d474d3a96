using System.Net;
using System.Text;
using Arena.Tests.Modules.Messaging;
using Arena.Tests.Support;
using Npgsql;

namespace Arena.Tests.Reliability;

/// Text the database cannot store or .NET cannot decode: lone surrogates, invalid UTF-8, NUL and control characters.
public sealed class MalformedTextTests(MessagingApp app) : IClassFixture<MessagingApp>
{
    /// A raw JSON string literal's inside: "\ud800" as an escape, bytes that are not UTF-8, a NUL escape.
    public static TheoryData<string, byte[]> BadStrings => new()
    {
        { "lone high surrogate", Encoding.ASCII.GetBytes("a\\ud800b") },
        { "lone low surrogate", Encoding.ASCII.GetBytes("\\udc00") },
        { "invalid UTF-8", [0x61, 0xC3, 0x28, 0xFF, 0x62] },
        { "NUL", Encoding.ASCII.GetBytes("a\\u0000b") },
    };

    public static TheoryData<string, byte[], string> StreamCases()
    {
        var data = new TheoryData<string, byte[], string>();
        foreach (var pipeline in new[] { "streaming", "legacy" })
        {
            foreach (var (name, text) in BadStrings.Select(row => ((string)row[0], (byte[])row[1])))
            {
                data.Add($"{pipeline}: {name}", text, pipeline);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(StreamCases))]
    public async Task StreamMessage_MalformedContent_AnswersBadRequestNamingMessagesAndStoresNothing(string name, byte[] text, string pipeline)
    {
        using var client = app.As("malformed-content");
        var session = await app.CreateSessionAsync(client, MessagingApp.Fast);

        using var response = await client.SendAsync(StreamBody(Json($$"""{"session_id":"{{session}}","messages":[{"role":"user","content":"@@"}]}""", text), pipeline));

        await ProblemAssert.NamesFields(response, "messages");
        Assert.True(pipeline == Assert.Single(response.Headers.GetValues("X-Arena-Pipeline")), name);
        Assert.Equal(0, await app.CountRowsAsync(session));
    }

    [Theory]
    [MemberData(nameof(StreamCases))]
    public async Task StreamMessage_MalformedSessionId_AnswersBadRequestNamingSessionId(string name, byte[] text, string pipeline)
    {
        using var client = app.As("malformed-session-id");

        using var response = await client.SendAsync(StreamBody(Json("""{"session_id":"@@","messages":[{"role":"user","content":"hi"}]}""", text), pipeline));

        await ProblemAssert.NamesFields(response, "session_id");
        Assert.True(response.Headers.Contains("X-Arena-Pipeline"), name);
    }

    [Theory]
    [InlineData("streaming")]
    [InlineData("legacy")]
    public async Task StreamMessage_LoneSurrogatePropertyNameInAMessage_AnswersBadRequestNamingTheBody(string pipeline)
    {
        using var client = app.As("malformed-property-name");
        var session = await app.CreateSessionAsync(client, MessagingApp.Fast);

        // The parser keeps such a name and throws only when a lookup compares against it: here, the search for "role".
        using var response = await client.SendAsync(StreamBody(Encoding.UTF8.GetBytes($$"""{"session_id":"{{session}}","messages":[{"\ud800":"user"}]}"""), pipeline));

        await ProblemAssert.NamesFields(response, "body");
        Assert.Equal(0, await app.CountRowsAsync(session));
    }

    [Theory]
    [MemberData(nameof(StreamCases))]
    public async Task StreamMessage_MalformedRole_AnswersBadRequestNamingTheRole(string name, byte[] text, string pipeline)
    {
        using var client = app.As("malformed-role");
        var session = await app.CreateSessionAsync(client, MessagingApp.Fast);

        using var response = await client.SendAsync(StreamBody(Json($$"""{"session_id":"{{session}}","messages":[{"role":"@@","content":"hi"}]}""", text), pipeline));

        await ProblemAssert.NamesFields(response, "messages[0].role");
        Assert.Equal(0, await app.CountRowsAsync(session));
        Assert.False(string.IsNullOrEmpty(name));
    }

    [Theory]
    [MemberData(nameof(BadStrings))]
    public async Task CreateSession_MalformedTitle_AnswersBadRequestNamingTitleAndStoresNothing(string name, byte[] text)
    {
        using var client = app.As("malformed-title-" + name.Replace(' ', '-'));

        using var response = await client.PostAsync("/api/sessions", JsonContent(Json($$"""{"mode":"direct","model_a":"{{MessagingApp.Fast}}","title":"@@"}""", text)));

        await ProblemAssert.NamesFields(response, "title");
        Assert.Equal(0, await CountSessionsAsync("malformed-title-" + name.Replace(' ', '-')));
    }

    [Theory]
    [MemberData(nameof(BadStrings))]
    public async Task CreateSession_MalformedModelId_AnswersBadRequestNamingModelA(string name, byte[] text)
    {
        using var client = app.As("malformed-model");

        using var response = await client.PostAsync("/api/sessions", JsonContent(Json("""{"mode":"direct","model_a":"@@"}""", text)));

        await ProblemAssert.NamesFields(response, "model_a");
        Assert.False(string.IsNullOrEmpty(name));
    }

    [Theory]
    [InlineData("tab", "a\\tb")]
    [InlineData("newline", "a\\nb")]
    [InlineData("escape", "a\\u001bb")]
    [InlineData("DEL", "a\\u007fb")]
    public async Task RenameSession_ControlCharacterInTitle_AnswersBadRequestNamingTitle(string name, string escaped)
    {
        using var client = app.As("control-title");
        var session = await app.CreateSessionAsync(client, MessagingApp.Fast);

        using var response = await client.PatchAsync($"/api/sessions/{session}", JsonContent(Encoding.ASCII.GetBytes($$"""{"title":"{{escaped}}"}""")));

        await ProblemAssert.NamesFields(response, "title");
        Assert.False(string.IsNullOrEmpty(name));
    }

    [Theory]
    [MemberData(nameof(BadStrings))]
    public async Task RenameSession_MalformedTitle_AnswersBadRequestNamingTitle(string name, byte[] text)
    {
        using var client = app.As("malformed-rename");
        var session = await app.CreateSessionAsync(client, MessagingApp.Fast);

        using var response = await client.PatchAsync($"/api/sessions/{session}", JsonContent(Json("""{"title":"@@"}""", text)));

        await ProblemAssert.NamesFields(response, "title");
        Assert.False(string.IsNullOrEmpty(name));
    }

    [Fact]
    public async Task AnyRequest_SixtyKilobyteHeader_AnswersProblemJson()
    {
        using var client = app.As("big-header");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/sessions");
        request.Headers.TryAddWithoutValidation("X-Padding", new string('x', 60 * 1024));

        using var response = await client.SendAsync(request);

        await ProblemAssert.IsProblem(response, HttpStatusCode.RequestHeaderFieldsTooLarge);
    }

    /// The template's @@ replaced by raw bytes, which need not be UTF-8.
    private static byte[] Json(string template, byte[] middle)
    {
        var at = template.IndexOf("@@", StringComparison.Ordinal);
        return [.. Encoding.UTF8.GetBytes(template[..at]), .. middle, .. Encoding.UTF8.GetBytes(template[(at + 2)..])];
    }

    private static ByteArrayContent JsonContent(byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new("application/json");
        return content;
    }

    private static HttpRequestMessage StreamBody(byte[] body, string pipeline)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/messages/stream/") { Content = JsonContent(body) };
        request.Headers.Add("X-Arena-Pipeline", pipeline);
        return request;
    }

    private async Task<long> CountSessionsAsync(string owner)
    {
        await using var connection = new NpgsqlConnection(app.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM sessions.sessions WHERE owner_id = @owner", connection);
        command.Parameters.AddWithValue("owner", owner);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
