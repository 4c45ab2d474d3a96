using System.ClientModel;
using System.ClientModel.Primitives;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Arena.Modules.Providers.Streaming;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging.Abstractions;
using OpenAI;

// Per-chunk cost of each layer on the provider path: the OpenAI SDK's IChatClient reading an in-memory event stream of
// N chunks (no network, so the layers are all that is measured), then with each of Arena's wrappers added. Prints
// nanoseconds and bytes allocated per chunk; an ActivityListener samples everything, as an exporter in production would.
var chunks = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1000;
var rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 60;
var body = FakeBody(chunks);

using var listener = new ActivityListener
{
    ShouldListenTo = source => source.Name.StartsWith("Arena.", StringComparison.Ordinal),
    Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
};
ActivitySource.AddActivityListener(listener);

var layers = new (string Name, Func<IChatClient> Create)[]
{
    ("OpenAI SDK alone", () => OpenAIClient(new InMemoryHandler(body))),
    ("+ SSE observing handler", () => OpenAIClient(new SseObservingHandler(SseEndMarker.Done) { InnerHandler = new InMemoryHandler(body) })),
    ("+ redacting wrapper", () => new PassThroughChatClient(OpenAIClient(new InMemoryHandler(body)), "sk-bench")),
    ("+ OpenTelemetryChatClient", () => new ChatClientBuilder(OpenAIClient(new InMemoryHandler(body)))
        .UseOpenTelemetry(NullLoggerFactory.Instance, "Arena.Providers", t => t.EnableSensitiveData = false).Build()),
    ("after: observer only", () => OpenAIClient(new SseObservingHandler(SseEndMarker.Done) { InnerHandler = new InMemoryHandler(body) })),
    ("before: all three", () => new ChatClientBuilder(new PassThroughChatClient(OpenAIClient(new SseObservingHandler(SseEndMarker.Done) { InnerHandler = new InMemoryHandler(body) }), "sk-bench"))
        .UseOpenTelemetry(NullLoggerFactory.Instance, "Arena.Providers", t => t.EnableSensitiveData = false).Build()),
};

Console.WriteLine($"{chunks} chunks per stream, {rounds} streams per layer");
Console.WriteLine($"{"layer",-28} {"ns/chunk",10} {"B/chunk",10} {"held B/chunk",13}");
var baseline = (Ns: 0.0, Bytes: 0.0);
foreach (var (name, create) in layers)
{
    var client = create();
    for (var i = 0; i < 5; i++)
    {
        await DrainAsync(client);
    }

    GC.Collect();
    GC.WaitForPendingFinalizers();
    var allocated = GC.GetTotalAllocatedBytes(precise: true);
    var clock = Stopwatch.StartNew();
    for (var i = 0; i < rounds; i++)
    {
        await DrainAsync(client);
    }

    var ns = clock.Elapsed.TotalNanoseconds / (rounds * (double)chunks);
    var bytes = (GC.GetTotalAllocatedBytes(precise: true) - allocated) / (rounds * (double)chunks);
    if (baseline.Ns == 0)
    {
        baseline = (ns, bytes);
    }

    var held = await HeldPerChunkAsync(client, chunks);
    Console.WriteLine($"{name,-28} {ns,10:0} {bytes,10:0} {held,13:0}   (+{ns - baseline.Ns:0} ns, +{bytes - baseline.Bytes:0} B over the SDK)");
}

static async Task DrainAsync(IChatClient client)
{
    StreamObservation.Current = new StreamObservation();
    var count = 0;
    await foreach (var update in client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "hi")], new ChatOptions { ModelId = "gpt-bench" }))
    {
        count += update.Contents.Count;
    }

    if (count == 0)
    {
        throw new InvalidOperationException("The stream yielded nothing.");
    }
}

// Live heap growth between the first and the last update of one stream: what a layer keeps until the stream ends.
static async Task<double> HeldPerChunkAsync(IChatClient client, int chunks)
{
    StreamObservation.Current = new StreamObservation();
    long first = 0, last = 0;
    var seen = 0;
    await foreach (var update in client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "hi")], new ChatOptions { ModelId = "gpt-bench" }))
    {
        seen++;
        if (seen == 2)
        {
            first = GC.GetTotalMemory(forceFullCollection: true);
        }
        else if (seen == chunks)
        {
            last = GC.GetTotalMemory(forceFullCollection: true);
        }
    }

    return Math.Max(0, last - first) / (double)(chunks - 2);
}

static IChatClient OpenAIClient(HttpMessageHandler handler)
{
    var options = new OpenAIClientOptions
    {
        RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
        Transport = new HttpClientPipelineTransport(new HttpClient(handler)),
        Endpoint = new Uri("http://bench.invalid/v1/"),
    };
    return new OpenAIClient(new ApiKeyCredential("sk-bench"), options).GetChatClient("gpt-bench").AsIChatClient();
}

static byte[] FakeBody(int chunks)
{
    var text = new StringBuilder();
    text.Append("data: {\"id\":\"chatcmpl-b\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"gpt-bench\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\n\n");
    for (var i = 0; i < chunks; i++)
    {
        text.Append("data: {\"id\":\"chatcmpl-b\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"gpt-bench\",\"service_tier\":\"default\",\"system_fingerprint\":\"fp_b\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" token\"},\"logprobs\":null,\"finish_reason\":null}],\"usage\":null,\"obfuscation\":\"x1y2\"}\n\n");
    }

    text.Append("data: {\"id\":\"chatcmpl-b\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"gpt-bench\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n");
    text.Append("data: {\"id\":\"chatcmpl-b\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"gpt-bench\",\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":1000,\"total_tokens\":1005}}\n\n");
    text.Append("data: [DONE]\n\n");
    return Encoding.UTF8.GetBytes(text.ToString());
}

// What Arena's RedactingChatClient was before this measurement removed it: one more async iterator per update that
// re-wrapped failures. Kept here so that the "before" row can still be reproduced.
internal sealed class PassThroughChatClient(IChatClient inner, string apiKey) : DelegatingChatClient(inner)
{
    public string ApiKey { get; } = apiKey;

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages,
        ChatOptions? options = null,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var updates = base.GetStreamingResponseAsync(messages, options, cancellationToken).GetAsyncEnumerator(cancellationToken);
        while (true)
        {
            ChatResponseUpdate update;
            try
            {
                if (!await updates.MoveNextAsync())
                {
                    yield break;
                }

                update = updates.Current;
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                throw new InvalidOperationException(ApiKey.Length.ToString(CultureInfo.InvariantCulture), exception);
            }

            yield return update;
        }
    }
}

internal sealed class InMemoryHandler(byte[] body) : HttpMessageHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var content = new StreamContent(new MemoryStream(body, writable: false));
        content.Headers.ContentType = new MediaTypeHeaderValue("text/event-stream");
        return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = content });
    }
}
