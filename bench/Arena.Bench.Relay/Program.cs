using System.Buffers;
using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net.ServerSentEvents;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.AI;
using OpenAI;

// The physical-limit reference: the least an async relay can do for one compare request. POST /relay opens two
// streams on the upstream (--upstream, an OpenAI-compatible base URL), parses their SSE and JSON as a real client
// must, and merges the deltas as they arrive into one response in Arena's data protocol, one flush per event.
// ?upstreams=N (1 to 4) opens N instead, participants a, b, c, d on models bench-a, bench-b, bench-a, bench-b, as
// Arena's compare sessions of up to four models name them. No database, no authentication, no gateway, no telemetry.
// POST /relay-sdk does the same through what Arena is required to use instead of its own parsing: the official OpenAI SDK
// behind Microsoft.Extensions.AI's IChatClient, set up as Arena sets it up (no retries, no network timeout). The
// difference between the two is the cost of that requirement, measured apart from everything else Arena does.
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
var upstream = new Uri(builder.Configuration["upstream"] ?? throw new ArgumentException("--upstream is required"));
var transport = new SocketsHttpHandler
{
    MaxConnectionsPerServer = int.MaxValue,
    PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
    UseProxy = false,
};
var client = new HttpClient(transport, disposeHandler: false) { BaseAddress = upstream, Timeout = Timeout.InfiniteTimeSpan };
var sdk = new OpenAIClient(new ApiKeyCredential("sk-bench-not-a-secret"), new OpenAIClientOptions
{
    Endpoint = upstream,
    RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
    Transport = new HttpClientPipelineTransport(new HttpClient(transport, disposeHandler: false) { Timeout = Timeout.InfiniteTimeSpan }),
    NetworkTimeout = Timeout.InfiniteTimeSpan,
});
var chats = new Dictionary<string, IChatClient>
{
    ["bench-a"] = sdk.GetChatClient("bench-a").AsIChatClient(),
    ["bench-b"] = sdk.GetChatClient("bench-b").AsIChatClient(),
};
var app = builder.Build();

app.MapPost("/relay", (HttpContext context, int? upstreams) => Relay(context, upstreams, (participant, prompt, events, aborted) =>
    Produce(client, Model(participant), participant, prompt, events, aborted)));
app.MapPost("/relay-sdk", (HttpContext context, int? upstreams) => Relay(context, upstreams, (participant, prompt, events, aborted) =>
    ProduceThroughSdk(chats[Model(participant)], participant, prompt, events, aborted)));
app.MapGet("/health", () => "ok");

await app.StartAsync();
Console.WriteLine("listening " + app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
await app.WaitForShutdownAsync();

static string Model(byte participant) => (participant - 'a') % 2 == 0 ? "bench-a" : "bench-b";

static async Task Relay(HttpContext context, int? upstreams, Func<byte, string, ChannelWriter<(byte, string?)>, CancellationToken, Task> produce)
{
    if (upstreams is < 1 or > 4)
    {
        context.Response.StatusCode = StatusCodes.Status400BadRequest;
        return;
    }

    using var request = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
    var prompt = request.RootElement.TryGetProperty("prompt", out var text) ? text.GetString() ?? "" : "";
    var aborted = context.RequestAborted;
    var events = Channel.CreateUnbounded<(byte Participant, string? Content)>(new UnboundedChannelOptions { SingleReader = true });
    var producers = Task.WhenAll(Enumerable.Range(0, upstreams ?? 2).Select(i => produce((byte)('a' + i), prompt, events.Writer, aborted)));
    _ = producers.ContinueWith(_ => events.Writer.TryComplete(), TaskScheduler.Default);

    var response = context.Response;
    response.ContentType = "text/event-stream";
    response.Headers.CacheControl = "no-cache";
    var output = response.BodyWriter;
    await foreach (var (participant, content) in events.Reader.ReadAllAsync(aborted))
    {
        Write(output, participant, content);
        await output.FlushAsync(aborted);
    }

    await producers;
}

static async Task ProduceThroughSdk(IChatClient chat, byte participant, string prompt, ChannelWriter<(byte, string?)> events, CancellationToken aborted)
{
    await foreach (var update in chat.GetStreamingResponseAsync(prompt, cancellationToken: aborted))
    {
        if (update.Text is { Length: > 0 } content)
        {
            await events.WriteAsync((participant, content), aborted);
        }
    }

    await events.WriteAsync((participant, null), aborted);
}

static async Task Produce(HttpClient client, string model, byte participant, string prompt, ChannelWriter<(byte, string?)> events, CancellationToken aborted)
{
    var body = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
    {
        ["model"] = model,
        ["stream"] = true,
        ["stream_options"] = new Dictionary<string, bool> { ["include_usage"] = true },
        ["messages"] = new[] { new Dictionary<string, string> { ["role"] = "user", ["content"] = prompt } },
    });
    using var message = new HttpRequestMessage(HttpMethod.Post, "chat/completions") { Content = new ByteArrayContent(body) };
    message.Content.Headers.ContentType = new("application/json");
    using var response = await client.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, aborted);
    response.EnsureSuccessStatusCode();
    await using var stream = await response.Content.ReadAsStreamAsync(aborted);
    await foreach (var item in SseParser.Create(stream, static (_, data) => DeltaContent(data)).EnumerateAsync(aborted))
    {
        if (item.Data is { Length: > 0 } content)
        {
            await events.WriteAsync((participant, content), aborted);
        }
    }

    await events.WriteAsync((participant, null), aborted);
}

// choices[0].delta.content, read without building a document.
static string? DeltaContent(ReadOnlySpan<byte> data)
{
    if (data.SequenceEqual("[DONE]"u8))
    {
        return null;
    }

    var reader = new Utf8JsonReader(data);
    var depth = 0;
    var inDelta = false;
    while (reader.Read())
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                depth++;
                break;
            case JsonTokenType.EndObject:
                depth--;
                inDelta = inDelta && depth >= 3;
                break;
            case JsonTokenType.PropertyName when reader.ValueTextEquals("delta"u8):
                inDelta = true;
                break;
            case JsonTokenType.PropertyName when inDelta && reader.ValueTextEquals("content"u8):
                reader.Read();
                return reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
        }
    }

    return null;
}

static void Write(IBufferWriter<byte> output, byte participant, string? content)
{
    var prefix = output.GetSpan(3);
    prefix[0] = participant;
    prefix[1] = content is null ? (byte)'d' : (byte)'0';
    prefix[2] = (byte)':';
    output.Advance(3);
    using (var json = new Utf8JsonWriter(output))
    {
        json.WriteStartObject();
        if (content is null)
        {
            json.WriteString("finishReason"u8, "stop"u8);
        }
        else
        {
            json.WriteString("content"u8, content);
        }

        json.WriteEndObject();
    }

    output.Write("\n"u8);
}
