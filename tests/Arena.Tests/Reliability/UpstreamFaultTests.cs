using System.Net;
using System.Text.Json;
using Arena.Tests.Modules.Messaging;
using Arena.Tests.Support.FakeUpstreams;

namespace Arena.Tests.Reliability;

/// Two models on one fake upstream, reached by the real OpenAI and Anthropic SDKs without retries (the retry path has its
/// own tests), which give up 2 s without a first chunk or without the next one.
public sealed class UpstreamFaultApp : MessagingApp
{
    public const string OpenAI = "fault-gpt";
    public const string Anthropic = "fault-claude";

    public FakeUpstream Server { get; } = FakeUpstream.Start();

    protected override void Configure(IDictionary<string, string?> settings)
    {
        base.Configure(settings);
        foreach (var (name, kind, url, model) in new[] { ("fault-openai", "openai", Server.OpenAIBaseUrl, OpenAI), ("fault-anthropic", "anthropic", Server.AnthropicBaseUrl, Anthropic) })
        {
            settings[$"Arena:Providers:{name}:Kind"] = kind;
            settings[$"Arena:Providers:{name}:BaseUrl"] = url.ToString();
            settings[$"Arena:Providers:{name}:ApiKey"] = "sk-fault-key";
            settings[$"Arena:Providers:{name}:MaxRetries"] = "0";
            settings[$"Arena:Providers:{name}:FirstChunkTimeout"] = "00:00:02";
            settings[$"Arena:Providers:{name}:IdleTimeout"] = "00:00:02";
            settings[$"Arena:Models:{model}:Provider"] = name;
            settings[$"Arena:Models:{model}:ProviderModel"] = kind == "openai" ? "gpt-test" : "claude-test";
        }
    }

    public new async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Server.DisposeAsync();
    }
}

public sealed class UpstreamFaultTests : IClassFixture<UpstreamFaultApp>
{
    private const string Before = "before";
    private const string After = "after";
    private const string FirstChunk = "Once upon ";

    private readonly UpstreamFaultApp app;

    public UpstreamFaultTests(UpstreamFaultApp app)
    {
        this.app = app;
        app.Server.Reset();
    }

    public static TheoryData<string, string, string, string> Faults()
    {
        var data = new TheoryData<string, string, string, string>();
        (string Model, string Fault, string When, string Code)[] table =
        [
            (UpstreamFaultApp.OpenAI, "cut", Before, "unavailable"),
            (UpstreamFaultApp.OpenAI, "cut", After, "truncated"),
            (UpstreamFaultApp.OpenAI, "stall", Before, "timeout"),
            (UpstreamFaultApp.OpenAI, "stall", After, "timeout"),
            (UpstreamFaultApp.OpenAI, "429", Before, "rate_limited"),
            (UpstreamFaultApp.OpenAI, "429", After, "rate_limited"),
            (UpstreamFaultApp.OpenAI, "500", Before, "unavailable"),
            (UpstreamFaultApp.OpenAI, "500", After, "unavailable"),
            (UpstreamFaultApp.Anthropic, "cut", Before, "unavailable"),
            (UpstreamFaultApp.Anthropic, "cut", After, "truncated"),
            (UpstreamFaultApp.Anthropic, "overloaded_error", Before, "unavailable"),
            (UpstreamFaultApp.Anthropic, "overloaded_error", After, "unavailable"),
        ];
        foreach (var pipeline in new[] { "streaming", "legacy" })
        {
            foreach (var (model, fault, when, code) in table)
            {
                data.Add(pipeline, $"{model} {fault}", when, code);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Faults))]
    public async Task Stream_UpstreamFault_ClientSeesTheChunksSoFarThenOneErrorAndTheRowKeepsThem(string pipeline, string fault, string when, string code)
    {
        var model = fault.Split(' ')[0];
        app.Server.Enqueue(Script(fault, when));
        using var client = app.As($"upstream-fault-{pipeline}-{fault.Replace(' ', '-')}-{when}");
        var session = await app.CreateSessionAsync(client, model);

        var (response, body) = await MessagingApp.StreamAsync(client, session, "Tell me a story", pipeline: pipeline);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var lines = body.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var streamed = string.Concat(lines.Where(l => l.StartsWith("a0:", StringComparison.Ordinal)).Select(l => JsonDocument.Parse(l[3..]).RootElement.GetProperty("content").GetString()));
        Assert.Equal(when == After ? FirstChunk : "", streamed);
        var error = Assert.Single(lines, l => l.StartsWith("a3:", StringComparison.Ordinal));
        Assert.Equal(code, JsonDocument.Parse(error[3..]).RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.StartsWith("ad:{\"finishReason\":\"error\"", lines[^1], StringComparison.Ordinal);
        Assert.True(Array.IndexOf(lines, error) > Array.FindLastIndex(lines, l => l.StartsWith("a0:", StringComparison.Ordinal)), body);
        Assert.DoesNotContain("sk-fault-key", body, StringComparison.Ordinal);

        var reply = Assert.Single(await app.MessagesAsync(client, session), m => m.GetProperty("role").GetString() == "assistant");
        Assert.Equal("error", reply.GetProperty("status").GetString());
        Assert.Equal(streamed, reply.GetProperty("content").GetString());
        Assert.Equal(code, reply.GetProperty("metadata").GetProperty("error").GetProperty("code").GetString());
    }

    private static FakeResponse Script(string fault, string when)
    {
        var anthropic = fault.StartsWith(UpstreamFaultApp.Anthropic, StringComparison.Ordinal);
        List<FakeFrame> started = when == After
            ? anthropic
                ? [AnthropicStream.MessageStart(), AnthropicStream.TextBlockStart(), AnthropicStream.TextDelta(FirstChunk)]
                : [OpenAIStream.Role(), OpenAIStream.Content(FirstChunk)]
            : [];
        return fault.Split(' ')[1] switch
        {
            // A pause first: a reset that arrives with the chunk still unread makes the kernel drop the chunk too.
            "cut" => FakeResponse.EventStream([.. started, FakeFrame.Delay(TimeSpan.FromMilliseconds(300)), FakeFrame.Disconnect]),
            "stall" => FakeResponse.EventStream([.. started, FakeFrame.Stall]),
            "429" when when == Before => FakeResponse.Json(429, """{"error":{"message":"Rate limit reached","type":"requests","param":null,"code":"rate_limit_exceeded"}}"""),
            "429" => FakeResponse.EventStream([.. started, OpenAIStream.Error("Rate limit reached", "requests", "rate_limit_exceeded")]),
            "500" when when == Before => FakeResponse.Json(500, """{"error":{"message":"The server had an error","type":"server_error","param":null,"code":null}}"""),
            "500" => FakeResponse.EventStream([.. started, OpenAIStream.Error("The server had an error")]),
            "overloaded_error" when when == Before => FakeResponse.Json(529, AnthropicStream.ErrorBody("Overloaded", "overloaded_error")),
            "overloaded_error" => FakeResponse.EventStream([.. started, AnthropicStream.Error("Overloaded")]),
            var other => throw new ArgumentOutOfRangeException(nameof(fault), other, "no such fault"),
        };
    }
}
