using System.Globalization;
using System.Text;
using System.Text.Json;
using Arena.Tests.Modules.Messaging;
using CsCheck;
using Npgsql;

namespace Arena.Tests.Reliability;

/// Per-user stream limits out of the way: hundreds of stream requests from one user would otherwise meet a 429 first.
public sealed class HostileInputApp : MessagingApp
{
    protected override void Configure(IDictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["Arena:Limits:StreamRequestsPerMinute"] = "1000000";
        settings["Arena:Limits:StreamsPerUser"] = "1000";
    }
}

public sealed class HostileInputTests(HostileInputApp app) : IClassFixture<HostileInputApp>
{
    /// Bounded so the property runs in seconds; CsCheck prints the seed of a failing case to replay it.
    private const int Cases = 400;

    private static readonly string[] Fields = ["session_id", "messages", "mode", "model_a", "model_b", "title", "winner", "role", "content", "limit", "cursor"];

    private static readonly string[] Scalars =
    [
        "1e400", "-0", "123456789012345678901234567890", "-9223372036854775809", "1.5", "true", "false", "null", "[]", "{}",
        "\"\\ud800\"", "\"\\udfff\\ud800\"", "\"a\\u0000b\"", "\"\\u0001\\u001f\"", "\"\\t\\n\"", "\"\\u007f\\u0085\"", "\"\\ufffe\"", "\"\"",
        "\"direct\"", "\"compare\"", "\"battle\"", "\"mock-swift\"", "\"a\"", "\"user\"", "\"00000000-0000-0000-0000-000000000000\"",
        Nested(100), Nested(3000), "\"" + new string('x', 70_000) + "\"",
    ];

    private static readonly string[] Queries =
    [
        "", "?limit=-1", "?limit=0", "?limit=99999999999999999999", "?limit=abc", "?cursor=%00", "?cursor=%ED%A0%80", "?protocol=xml",
        "?protocol=sse", "?min_votes=-5", "?since=9999-99-99", "?control=both", "?limit=1&limit=2", "?%00=%00",
    ];

    /// ASCII only: HttpClient refuses to send other header bytes (and Kestrel would refuse them before any middleware).
    private static readonly (string Name, string Value)[] Headers =
    [
        ("X-Arena-Pipeline", "legacy"), ("X-Arena-Pipeline", "streaming"), ("X-Arena-Pipeline", "%C3%BC"), ("X-Arena-Protocol", "sse"),
        ("X-Arena-Protocol", "%00"), ("Accept", "text/event-stream"), ("Accept", "application/xml"), ("Accept-Charset", "utf-16"),
        ("X-Arena-Pipeline", new string('a', 4000)), ("Content-Encoding", "gzip"), ("Cookie", "a=%00"),
    ];

    private static readonly string?[] ContentTypes =
    [
        "application/json", "application/json; charset=utf-8", "application/json; charset=utf-16", "text/plain", "application/x-www-form-urlencoded", null,
    ];

    [Fact]
    public async Task EveryEndpoint_HostileBodiesHeadersAndPaths_NeverA5xxAlwaysProblemJsonNothingStored()
    {
        using var owner = app.As("hostile-owner");
        using var client = app.As("hostile");
        // Someone else's session: it exists, so lookups reach the database, and must answer as if it did not.
        var foreign = await app.CreateSessionAsync(owner, MessagingApp.Fast, MessagingApp.Fast2);
        var endpoints = await EndpointsAsync(client);
        Assert.Contains(endpoints, e => e.Path.StartsWith("/api/messages/stream", StringComparison.Ordinal));
        var before = await CountRowsAsync();

        // CsCheck 5's OneOf takes either constants or generators; the type argument picks the generator overload.
        var segments = Gen.OneOf<string>(
            Gen.Guid.Select(g => g.ToString()),
            // No "%00": Kestrel refuses a NUL in the path itself, with a bare 400, before any middleware runs.
            Gen.OneOf(foreign.ToString(), "%01", "%ED%A0%80", "..%2F..", "not-a-uuid", "00000000-0000-0000-0000-000000000000", "99999999999999999999"));
        var scalar = Gen.OneOf<string>(Gen.OneOf(Scalars), Gen.String[Gen.Char['\0', '\uffff'], 0, 24].Select(Quote), Gen.Int.Select(i => i.ToString(CultureInfo.InvariantCulture)));
        var sessionId = Gen.OneOf<string>(scalar, Gen.Const(Quote(foreign.ToString())), Gen.Guid.Select(g => Quote(g.ToString())));
        var messages = Gen.OneOf<string>(
            scalar,
            Gen.Select(scalar, scalar, (role, content) => $"[{{\"role\":{role},\"content\":{content}}}]"),
            scalar.Select(content => $"[{{\"role\":\"user\",\"content\":{content}}}]"),
            scalar.Array[0, 4].Select(items => "[" + string.Join(',', items) + "]"));
        var field = Gen.OneOf<(string, string)>(
            Gen.Select(Gen.OneOf(Fields), scalar),
            Gen.Select(Gen.Const("session_id"), sessionId),
            Gen.Select(Gen.Const("messages"), messages),
            Gen.Select(Gen.String[Gen.Char['\0', '\uffff'], 0, 8].Select(Quote).Select(q => q[1..^1]), scalar));
        var body = Gen.Frequency(
            (8, field.Array[0, 5].Select(fields => Encoding.UTF8.GetBytes("{" + string.Join(',', fields.Select(f => $"\"{f.Item1}\":{f.Item2}")) + "}"))),
            (2, scalar.Select(Encoding.UTF8.GetBytes)),
            (1, Gen.OneOf<byte[]>(new byte[] { 0xC3, 0x28 }, new byte[] { 0xFF, 0xFE, 0x00 }, new byte[] { (byte)'{', (byte)'"', (byte)'t', (byte)'"', (byte)':', (byte)'"', 0xED, 0xA0, 0x80, (byte)'"', (byte)'}' }, System.Array.Empty<byte>(), "{\"a\":"u8.ToArray())));
        var requests = Gen.Select(
            Gen.Int[0, endpoints.Count - 1], segments, Gen.OneOf(Queries), Gen.Int[-1, Headers.Length - 1], Gen.OneOf(ContentTypes), body,
            (endpoint, segment, query, header, contentType, content) => new HostileRequest(endpoints[endpoint].Method, Fill(endpoints[endpoint].Path, segment) + query, header < 0 ? null : Headers[header], contentType, content));

        await requests.SampleAsync(
            async request =>
            {
                using var message = request.ToMessage();
                using var response = await client.SendAsync(message, HttpCompletionOption.ResponseContentRead);
                var text = await response.Content.ReadAsStringAsync();
                var status = (int)response.StatusCode;
                Assert.True(status < 500, $"{status} for {request}: {text}");
                if (status >= 400)
                {
                    Assert.True(response.Content.Headers.ContentType?.MediaType == "application/problem+json", $"{status} without problem+json for {request}: {text}");
                    Assert.DoesNotContain("Exception", text, StringComparison.Ordinal);
                    Assert.DoesNotContain("System.", text, StringComparison.Ordinal);
                }

                Assert.Equal(before, await CountRowsAsync());
            },
            iter: Cases,
            threads: 2,
            print: request => request.ToString());
    }

    private async Task<List<(string Method, string Path)>> EndpointsAsync(HttpClient client)
    {
        using var document = JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json"));
        var endpoints = new List<(string, string)>();
        foreach (var path in document.RootElement.GetProperty("paths").EnumerateObject())
        {
            foreach (var operation in path.Value.EnumerateObject().Where(o => o.Name is "get" or "post" or "put" or "patch" or "delete"))
            {
                endpoints.Add((operation.Name.ToUpperInvariant(), path.Name));
            }
        }

        return endpoints;
    }

    private async Task<long> CountRowsAsync()
    {
        await using var connection = new NpgsqlConnection(app.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT (SELECT count(*) FROM sessions.sessions) + (SELECT count(*) FROM messaging.messages) + (SELECT count(*) FROM votes.votes)", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static string Fill(string path, string segment)
    {
        var filled = new StringBuilder();
        var open = -1;
        for (var i = 0; i < path.Length; i++)
        {
            if (path[i] == '{')
            {
                open = i;
            }
            else if (path[i] == '}' && open >= 0)
            {
                filled.Append(segment);
                open = -1;
            }
            else if (open < 0)
            {
                filled.Append(path[i]);
            }
        }

        return filled.ToString();
    }

    /// A JSON string literal of any UTF-16 text, lone surrogates and control characters included, escaped as \uXXXX.
    private static string Quote(string text)
    {
        var quoted = new StringBuilder("\"");
        foreach (var c in text)
        {
            if (c < ' ' || c is '"' or '\\' || char.IsSurrogate(c))
            {
                quoted.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            }
            else
            {
                quoted.Append(c);
            }
        }

        return quoted.Append('"').ToString();
    }

    private static string Nested(int depth) => new string('[', depth) + new string(']', depth);

    private sealed record HostileRequest(string Method, string PathAndQuery, (string Name, string Value)? Header, string? ContentType, byte[] Body)
    {
        public HttpRequestMessage ToMessage()
        {
            var message = new HttpRequestMessage(new HttpMethod(Method), PathAndQuery);
            if (Method is "POST" or "PUT" or "PATCH" || Body.Length > 0)
            {
                var content = new ByteArrayContent(Body);
                if (ContentType is not null)
                {
                    content.Headers.TryAddWithoutValidation("Content-Type", ContentType);
                }

                message.Content = content;
            }

            if (Header is { } header)
            {
                message.Headers.TryAddWithoutValidation(header.Name, header.Value);
            }

            return message;
        }

        public override string ToString()
        {
            var body = Body.Length > 300 ? Encoding.UTF8.GetString(Body, 0, 300) + "…" : Encoding.UTF8.GetString(Body);
            return $"{Method} {PathAndQuery} [{Header?.Name}: {Header?.Value[..Math.Min(40, Header.Value.Value.Length)]}] ({ContentType ?? "no type"}) {body}";
        }
    }
}
