using System.ClientModel;
using System.ClientModel.Primitives;
using System.Collections.Concurrent;
using Anthropic;
using Arena.Modules.Providers.Mock;
using Arena.Modules.Providers.Streaming;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;
using OpenAI;

namespace Arena.Modules.Providers.Domain;

/// One <see cref="IChatClient"/> per catalog model, built on first use and reused, because the SDK clients hold
/// HttpClients. A configuration change starts a new generation; the old clients are left to finish their streams.
/// The SDKs' own retries are off: <see cref="Features.StreamCompletionHandler"/> retries, and only before the first chunk.
internal sealed class ChatClientFactory : IDisposable
{
    // Long on purpose: the first-chunk and idle timeouts of each provider end a slow stream, these only stop a dead socket.
    private static readonly TimeSpan TransportTimeout = TimeSpan.FromHours(1);

    private readonly SocketsHttpHandler transport = new()
    {
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        ConnectTimeout = TimeSpan.FromSeconds(15),
    };

    private readonly IDisposable? subscription;
    private volatile ConcurrentDictionary<CatalogModel, IChatClient> clients = new();

    public ChatClientFactory(IOptionsMonitor<CatalogOptions> options)
    {
        subscription = options.OnChange(_ => clients = new ConcurrentDictionary<CatalogModel, IChatClient>());
    }

    public IChatClient Get(CatalogModel model) => clients.GetOrAdd(model, Create);

    public void Dispose()
    {
        subscription?.Dispose();
        transport.Dispose();
    }

    private IChatClient Create(CatalogModel model)
    {
        var inner = model.Provider.Kind switch
        {
            ProviderKind.Mock => new MockChatClient(model.Id, model.Provider.Mock ?? new MockOptions()),
            ProviderKind.OpenAI => CreateOpenAI(model),
            ProviderKind.Anthropic => CreateAnthropic(model),
            _ => throw new NotSupportedException($"Provider kind {model.Provider.Kind} is not supported."),
        };

        // No wrapper on purpose: the handler records the GenAI span itself (ProviderTelemetry) and redacts what it logs,
        // because the OpenTelemetry chat client buffers every update until the stream ends (see bench/Arena.Bench.ProviderPath).
        return inner;
    }

    private IChatClient CreateOpenAI(CatalogModel model)
    {
        var apiKey = model.Provider.ResolveApiKey();
        if (string.IsNullOrWhiteSpace(apiKey))
        {
            apiKey = null;
        }

        var options = new OpenAIClientOptions
        {
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
            Transport = new HttpClientPipelineTransport(CreateHttpClient(SseEndMarker.Done, keyless: apiKey is null)),
            // Infinite, not long: with any finite value the SDK wraps the response in a stream that re-arms a timer on every
            // read. The stream's own deadline (first chunk, then idle) already covers the request and every read.
            NetworkTimeout = Timeout.InfiniteTimeSpan,
        };
        if (model.Provider.BaseUrl is { } baseUrl)
        {
            options.Endpoint = baseUrl;
        }

        var client = new OpenAIClient(new ApiKeyCredential(apiKey ?? KeylessHandler.Placeholder), options);
        return client.GetChatClient(model.ProviderModel).AsIChatClient();
    }

    private IChatClient CreateAnthropic(CatalogModel model)
    {
        var client = new AnthropicClient
        {
            ApiKey = model.Provider.ResolveApiKey() ?? "",
            MaxRetries = 0,
            Timeout = TransportTimeout,
            HttpClient = CreateHttpClient(SseEndMarker.MessageStop),
            OpenTelemetry = false,
            BaseUrl = model.Provider.BaseUrl?.ToString().TrimEnd('/') ?? "https://api.anthropic.com",
        };
        return client.AsIChatClient(model.ProviderModel, model.MaxOutputTokens);
    }

    private HttpClient CreateHttpClient(SseEndMarker marker, bool keyless = false)
    {
        HttpMessageHandler inner = keyless ? new KeylessHandler { InnerHandler = transport } : transport;
        return new(new SseObservingHandler(marker) { InnerHandler = inner }, disposeHandler: false) { Timeout = Timeout.InfiniteTimeSpan };
    }
}
