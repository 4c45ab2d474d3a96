using System.Net;
using System.Text;
using Arena.Tests.Modules.Messaging;
using CsCheck;
using Npgsql;

namespace Arena.Tests.Reliability;

public sealed class HostileInputApp : MessagingApp
{
    protected override void Configure(IDictionary<string, string?> settings)
    {
        base.Configure(settings);
        // The property sends hundreds of requests in a minute; the limits have their own tests.
        settings["Arena:Limits:StreamRequestsPerMinute"] = "100000";
    }
}

/// Generated hostile bodies, queries and headers for every endpoint that takes client input: whatever arrives, the answer
/// is never a 5xx, every 4xx is problem+json, and a refused request stores nothing.
public sealed class HostileInputPropertyTests(HostileInputApp app) : IClassFixture<HostileInputApp>
{
    private const string User = "hostile";

    private static readonly string[] HostileValues =
    [
        "\"\\ud800\"", "\"x\\udfffy\"", "\"\\udc00\\ud800\"", "\"a\\u0000b\"", "\"\\u001b[31m\"", "\"line\\nbreak\"", "\"tab\\there\"",
        "\"\\u0085\"", "\"\"", "\"   \"", "null", "0", "-1", "1e400", "true", "[]", "{}", "[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]",
        "\"direct\"", "\"compare\"", "\"battle\"", "\"" + FastModel + "\"", "\"user\"", "\"assistant\"", "\"system\"", "\"a\"", "\"tie\"",
        "\"00000000-0000-0000-0000-000000000000\"", "\"" + new string('x', 40_000) + "\"", "\"\\\"\\\\\\/\"", "\"😀\"", "\"\\ud83d\\ude00\"",
    ];

    private const string FastModel = MessagingApp.Fast;

    private static readonly Gen<byte[]> RawString = Gen.Byte.Array[0, 24].Select(bytes =>
        (byte[])[(byte)'"', .. bytes.Where(b => b is not ((byte)'"' or (byte)'\\')), (byte)'"']);

    /// A JSON value as bytes; the session placeholder becomes the fuzzing user's real session.
    private static readonly Gen<byte[]> Value = Gen.Frequency(
        (6, Gen.OneOfConst(HostileValues).Select(Encoding.UTF8.GetBytes)),
        (2, RawString),
        (2, Gen.Const(Encoding.UTF8.GetBytes("\"{session}\""))));

    private static readonly string[] StreamFields = ["session_id", "messages"];

    private static readonly Gen<byte[]> Message = Gen.Select(Value, Value, Gen.Bool, (role, content, asObject) => asObject
        ? Concat("{\"role\":", role, ",\"content\":", content, "}")
        : content);

    private static readonly Gen<byte[]> Messages = Gen.Frequency(
        (4, Message.Array[0, 3].Select(items => Concat("[", Join(items), "]"))),
        (1, Value));

    private static readonly (HttpMethod Method, string Path, string[] Fields)[] BodyEndpoints =
    [
        (HttpMethod.Post, "/api/sessions", ["mode", "model_a", "model_b", "title"]),
        (HttpMethod.Patch, "/api/sessions/{session}", ["title"]),
        (HttpMethod.Post, "/api/sessions/{session}/vote", ["winner"]),
        (HttpMethod.Post, "/api/messages/stream/", StreamFields),
    ];

    private static readonly string[] QueryPaths =
    [
        "/api/sessions?limit={q}&cursor={q}", "/api/leaderboard?min_votes={q}&control={q}&since={q}", "/api/sessions/{q}/messages", "/api/sessions/{q}",
        "/api/models",
    ];

    private static readonly Gen<string> QueryText = Gen.Frequency(
        (3, Gen.Byte.Array[0, 16].Select(bytes => string.Concat(bytes.Select(b => $"%{b:X2}")))),
        (2, Gen.OneOfConst("%00", "%ED%A0%80", "%C3%28", "-1", "0", "999999999999", "abc", "2026-13-45", "a%0Ab", "{session}", "", "%FF%FE")));

    private static readonly Gen<(string Name, string Value)?> Header = Gen.Frequency(
        (3, Gen.Const<(string, string)?>(null)),
        (1, Gen.Select(Gen.OneOfConst("X-Arena-Pipeline", "X-Arena-Protocol", "Content-Type", "Accept", "X-Padding"),
            Gen.OneOfConst("streaming", "legacy", "sse", "data", "websocket", "text/plain", "application/json; charset=latin1", "*/*", "\u00e9\u00ff"),
            Gen.Int[0, 3], (name, value, size) => ((string, string)?)(name, size == 3 ? value + new string('h', 70 * 1024) : value))));

    private static readonly Gen<Case> Cases = Gen.Frequency(
        (6, Gen.Select(Gen.Int[0, BodyEndpoints.Length - 1], Gen.Bool.Array[4], Value.Array[4], Messages, Header, (endpoint, present, values, messages, header) =>
        {
            var (method, path, fields) = BodyEndpoints[endpoint];
            var members = fields.Select((field, i) => present[i] ? Concat($"\"{field}\":", field == "messages" ? messages : values[i]) : null).OfType<byte[]>();
            return new Case(method, path, Concat("{", Join(members.ToArray()), "}"), header);
        })),
        (1, Gen.Select(Gen.Int[0, BodyEndpoints.Length - 1], Gen.Byte.Array[0, 64], Header, (endpoint, garbage, header) =>
            new Case(BodyEndpoints[endpoint].Method, BodyEndpoints[endpoint].Path, garbage, header))),
        (2, Gen.Select(Gen.OneOfConst(QueryPaths), QueryText, Header, (path, text, header) =>
            new Case(HttpMethod.Get, path.Replace("{q}", text, StringComparison.Ordinal), null, header))));

    [Fact]
    public async Task AnyEndpoint_HostileInput_NeverFailsWith5xxAndRefusalsAreProblemsThatStoreNothing()
    {
        using var client = app.As(User);
        var session = await app.CreateSessionAsync(client, MessagingApp.Fast);

        await Cases.SampleAsync(async input =>
        {
            var before = await CountStoredAsync();
            using var request = input.ToRequest(session);
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            var body = await response.Content.ReadAsStringAsync();
            var status = (int)response.StatusCode;

            Assert.True(status < 500, $"{status} for {input}: {body}");
            if (status >= 400)
            {
                Assert.True(response.Content.Headers.ContentType?.MediaType == "application/problem+json", $"{status} without problem+json for {input}: {body}");
                Assert.Equal(before, await CountStoredAsync());
            }
        }, iter: 300, threads: 1, print: input => input.ToString());
    }

    private async Task<long> CountStoredAsync()
    {
        await using var connection = new NpgsqlConnection(app.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT (SELECT count(*) FROM sessions.sessions) + (SELECT count(*) FROM messaging.messages) + (SELECT count(*) FROM votes.votes)", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static byte[] Concat(params object[] parts) =>
        [.. parts.SelectMany(part => part as byte[] ?? Encoding.UTF8.GetBytes((string)part))];

    private static byte[] Join(byte[][] items)
    {
        var joined = new List<byte>();
        for (var i = 0; i < items.Length; i++)
        {
            if (i > 0)
            {
                joined.Add((byte)',');
            }

            joined.AddRange(items[i]);
        }

        return [.. joined];
    }

    internal sealed record Case(HttpMethod Method, string Path, byte[]? Body, (string Name, string Value)? Header)
    {
        public HttpRequestMessage ToRequest(Guid session)
        {
            var request = new HttpRequestMessage(Method, Path.Replace("{session}", session.ToString(), StringComparison.Ordinal));
            if (Body is not null)
            {
                var text = Encoding.UTF8.GetBytes(session.ToString());
                request.Content = new ByteArrayContent(Replace(Body, "{session}"u8.ToArray(), text));
                request.Content.Headers.ContentType = new("application/json");
            }

            if (Header is { } header)
            {
                if (header.Name == "Content-Type" && request.Content is not null)
                {
                    request.Content.Headers.Remove("Content-Type");
                    request.Content.Headers.TryAddWithoutValidation("Content-Type", header.Value);
                }
                else
                {
                    request.Headers.TryAddWithoutValidation(header.Name, header.Value);
                }
            }

            return request;
        }

        public override string ToString()
        {
            var header = Header is { } h ? $" [{h.Name}: {(h.Value.Length > 80 ? h.Value[..80] + "…" : h.Value)}]" : "";
            var body = Body is null ? "" : " " + Convert.ToHexString(Body.Length > 200 ? Body[..200] : Body);
            return $"{Method} {Path}{header}{body}";
        }

        private static byte[] Replace(byte[] source, byte[] find, byte[] with)
        {
            var result = new List<byte>(source.Length);
            for (var i = 0; i < source.Length;)
            {
                if (source.AsSpan(i).StartsWith(find))
                {
                    result.AddRange(with);
                    i += find.Length;
                }
                else
                {
                    result.Add(source[i++]);
                }
            }

            return [.. result];
        }
    }
}
