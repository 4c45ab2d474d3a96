using Arena.Tests.Support;
using Arena.Tests.Support.FakeUpstreams;

namespace Arena.Tests.Modules.Messaging;

/// <c>upstream-model</c> served by the real OpenAI client against a fake upstream that records each request (with
/// <paramref name="anthropic"/>, <c>upstream-claude</c> by the real Anthropic client against the same server), and
/// <c>flaky-model</c>, a mock that always fails after two chunks.
public sealed class UpstreamModels(bool anthropic = false) : ArenaAppPart
{
    public const string Upstream = "upstream-model";
    public const string Flaky = "flaky-model";
    public const string Claude = "upstream-claude";

    public FakeUpstream Server { get; } = FakeUpstream.Start();

    public override void Configure(IDictionary<string, string?> settings)
    {
        settings["Arena:Providers:fake:Kind"] = "openai";
        settings["Arena:Providers:fake:BaseUrl"] = Server.OpenAIBaseUrl.ToString();
        settings["Arena:Providers:fake:ApiKey"] = "sk-fake-key";
        settings[$"Arena:Models:{Upstream}:Provider"] = "fake";
        settings[$"Arena:Models:{Upstream}:ProviderModel"] = "gpt-test";
        settings["Arena:Providers:flaky:Kind"] = "mock";
        settings["Arena:Providers:flaky:Mock:ChunkCount"] = $"{MessagingApp.ChunkCount}";
        settings["Arena:Providers:flaky:Mock:ChunkInterval"] = "00:00:00.020";
        settings["Arena:Providers:flaky:Mock:FailAfterChunks"] = "2";
        settings[$"Arena:Models:{Flaky}:Provider"] = "flaky";
        if (anthropic)
        {
            settings["Arena:Providers:fake-anthropic:Kind"] = "anthropic";
            settings["Arena:Providers:fake-anthropic:BaseUrl"] = Server.AnthropicBaseUrl.ToString();
            settings["Arena:Providers:fake-anthropic:ApiKey"] = "sk-ant-fake-key";
            settings["Arena:Providers:fake-anthropic:MaxRetries"] = "2";
            settings["Arena:Providers:fake-anthropic:RetryDelay"] = "00:00:00.050";
            settings[$"Arena:Models:{Claude}:Provider"] = "fake-anthropic";
            settings[$"Arena:Models:{Claude}:ProviderModel"] = "claude-test";
        }
    }

    public override async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        await base.DisposeAsync();
    }
}
