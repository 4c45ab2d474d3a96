using Arena.Modules.Providers.Contracts;
using Arena.Tests.Support;
using Arena.Tests.Support.FakeUpstreams;
using Mediator;
using Microsoft.Extensions.DependencyInjection;

namespace Arena.Tests.Modules.Providers;

/// The Host with two keyed providers pointing at one fake upstream (one OpenAI-compatible, one Anthropic), a keyless
/// compatible server, providers missing their key,
/// short timeouts and retry delays, and every log line of the run captured.
public sealed class ProvidersApp : ArenaApp, IAsyncLifetime
{
    public const string OpenAIKey = "sk-arena-openai-SECRET-4f9c2b7e";
    public const string AnthropicKey = "sk-ant-arena-SECRET-91d3a6c0";
    public const string OpenAIModel = "fake-gpt";
    public const string AnthropicModel = "fake-claude";
    public const string ImpatientModel = "fake-gpt-impatient";
    public const string UnreachableModel = "fake-gpt-unreachable";
    public const string KeylessModel = "fake-local-llm";
    public const string MissingKeyModel = "fake-gpt-missing-key";
    public const string MissingKeyAnthropicModel = "fake-claude-missing-key";
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(2);

    public FakeUpstream Upstream { get; } = FakeUpstream.Start();

    public CapturedLogs Logs { get; } = new();

    protected override void ConfigureServices(IServiceCollection services) => Logs.AddTo(services);

    public new async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Upstream.DisposeAsync();
    }

    /// Runs one completion through the Host's Mediator and the real SDKs, collecting every update.
    public async Task<List<CompletionUpdate>> StreamAsync(string modelId, string prompt, CancellationToken cancellationToken = default)
    {
        var updates = new List<CompletionUpdate>();
        await foreach (var update in CreateStream(modelId, prompt, cancellationToken))
        {
            updates.Add(update);
        }

        return updates;
    }

    public async IAsyncEnumerable<CompletionUpdate> CreateStream(string modelId, string prompt, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var scope = Services.CreateAsyncScope();
        var mediator = scope.ServiceProvider.GetRequiredService<IMediator>();
        var turns = new List<ChatTurn> { new(ChatTurnRole.System, "Be brief."), new(ChatTurnRole.User, prompt) };
        await foreach (var update in mediator.CreateStream(new StreamCompletion(modelId, turns), cancellationToken))
        {
            yield return update;
        }
    }

    protected override void Configure(IDictionary<string, string?> settings)
    {
        settings["Logging:LogLevel:Default"] = "Trace";
        settings["Arena:Providers:openai:ApiKeyEnvironmentVariable"] = "";
        settings["Arena:Providers:anthropic:ApiKeyEnvironmentVariable"] = "";
        settings["Arena:Providers:mock:Mock:ChunkInterval"] = "00:00:00.005";
        settings["Arena:Providers:mock:IdleTimeout"] = "00:00:02";
        settings["Arena:Providers:mock:FirstChunkTimeout"] = "00:00:02";
        AddProvider(settings, "fake-openai", "openai", Upstream.OpenAIBaseUrl, OpenAIKey);
        AddProvider(settings, "fake-anthropic", "anthropic", Upstream.AnthropicBaseUrl, AnthropicKey);
        settings[$"Arena:Models:{OpenAIModel}:DisplayName"] = "Fake GPT";
        settings[$"Arena:Models:{OpenAIModel}:Provider"] = "fake-openai";
        settings[$"Arena:Models:{OpenAIModel}:ProviderModel"] = "gpt-test";
        settings[$"Arena:Models:{OpenAIModel}:MaxOutputTokens"] = "300";
        AddProvider(settings, "fake-impatient", "openai", Upstream.OpenAIBaseUrl, OpenAIKey);
        settings["Arena:Providers:fake-impatient:FirstChunkTimeout"] = "00:00:01";
        settings["Arena:Providers:fake-impatient:MaxRetries"] = "0";
        settings[$"Arena:Models:{ImpatientModel}:Provider"] = "fake-impatient";
        settings[$"Arena:Models:{ImpatientModel}:ProviderModel"] = "gpt-test";
        AddProvider(settings, "fake-unreachable", "openai", new Uri("http://127.0.0.1:1/v1/"), OpenAIKey);
        settings[$"Arena:Models:{UnreachableModel}:Provider"] = "fake-unreachable";
        AddProvider(settings, "fake-local", "openai", Upstream.OpenAIBaseUrl, "");
        settings["Arena:Providers:fake-local:RequiresApiKey"] = "false";
        settings[$"Arena:Models:{KeylessModel}:Provider"] = "fake-local";
        settings[$"Arena:Models:{KeylessModel}:ProviderModel"] = "llama3.2";
        AddProvider(settings, "fake-missing-key", "openai", Upstream.OpenAIBaseUrl, "");
        settings[$"Arena:Models:{MissingKeyModel}:Provider"] = "fake-missing-key";
        AddProvider(settings, "fake-anthropic-missing-key", "anthropic", Upstream.AnthropicBaseUrl, "");
        settings["Arena:Providers:fake-anthropic-missing-key:RequiresApiKey"] = "false";
        settings[$"Arena:Models:{MissingKeyAnthropicModel}:Provider"] = "fake-anthropic-missing-key";
        settings[$"Arena:Models:{AnthropicModel}:DisplayName"] = "Fake Claude";
        settings[$"Arena:Models:{AnthropicModel}:Provider"] = "fake-anthropic";
        settings[$"Arena:Models:{AnthropicModel}:ProviderModel"] = "claude-test";
        settings[$"Arena:Models:{AnthropicModel}:MaxOutputTokens"] = "400";
    }

    private static void AddProvider(IDictionary<string, string?> settings, string name, string kind, Uri baseUrl, string key)
    {
        settings[$"Arena:Providers:{name}:Kind"] = kind;
        settings[$"Arena:Providers:{name}:BaseUrl"] = baseUrl.ToString();
        settings[$"Arena:Providers:{name}:ApiKey"] = key;
        settings[$"Arena:Providers:{name}:FirstChunkTimeout"] = "00:00:10";
        settings[$"Arena:Providers:{name}:IdleTimeout"] = IdleTimeout.ToString();
        settings[$"Arena:Providers:{name}:MaxRetries"] = "2";
        settings[$"Arena:Providers:{name}:RetryDelay"] = "00:00:00.050";
    }
}
