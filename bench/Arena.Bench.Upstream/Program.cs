using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

// A fake OpenAI: POST /v1/chat/completions answers every request with the same chat.completion.chunk event stream,
// framed byte for byte as OpenAI frames it. --chunks content chunks, the first at once (as OpenAI sends the first
// token with the role chunk), the rest --interval-ms apart on a fixed schedule, then finish, usage and [DONE].
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
var chunks = builder.Configuration.GetValue("chunks", 50);
var interval = TimeSpan.FromMilliseconds(builder.Configuration.GetValue("interval-ms", 50));
var app = builder.Build();

var frames = new FrameCache(chunks);
app.MapPost("/v1/chat/completions", async (HttpContext context) =>
{
    string model;
    using (var request = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted))
    {
        model = request.RootElement.TryGetProperty("model", out var name) ? name.GetString() ?? "bench" : "bench";
    }

    var modelFrames = frames.For(model);
    var response = context.Response;
    response.ContentType = "text/event-stream; charset=utf-8";
    response.Headers.CacheControl = "no-cache";
    var aborted = context.RequestAborted;
    try
    {
        await response.Body.WriteAsync(modelFrames.Role, aborted);
        var started = TimeProvider.System.GetTimestamp();
        for (var i = 0; i < chunks; i++)
        {
            var due = interval * i - TimeProvider.System.GetElapsedTime(started);
            if (due > TimeSpan.Zero)
            {
                await Task.Delay(due, aborted);
            }

            await response.Body.WriteAsync(modelFrames.Content[i], aborted);
            await response.Body.FlushAsync(aborted);
        }

        await response.Body.WriteAsync(modelFrames.End, aborted);
        await response.Body.FlushAsync(aborted);
    }
    catch (OperationCanceledException) when (aborted.IsCancellationRequested)
    {
        // The caller went away; nothing to finish.
    }
});
app.MapGet("/v1/models", () => Results.Json(new { @object = "list", data = Array.Empty<object>() }));

await app.StartAsync();
// The harness reads the bound address from this line.
Console.WriteLine("listening " + app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
await app.WaitForShutdownAsync();

internal sealed record ModelFrames(byte[] Role, byte[][] Content, byte[] End);

/// Frames are serialized once per model name: the fake must cost as little CPU as possible, since it shares the cores.
internal sealed class FrameCache(int chunks)
{
    private static readonly JsonSerializerOptions Json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, ModelFrames> byModel = new(StringComparer.Ordinal);

    public ModelFrames For(string model) => byModel.GetOrAdd(model, Build);

    private ModelFrames Build(string model)
    {
        var content = new byte[chunks][];
        for (var i = 0; i < chunks; i++)
        {
            content[i] = Data(Chunk(model, new { content = string.Create(CultureInfo.InvariantCulture, $"word{i} ") }, null));
        }

        var end = Data(Chunk(model, new { }, "stop"))
            .Concat(Data(new
            {
                id = "chatcmpl-bench",
                @object = "chat.completion.chunk",
                created = 1_700_000_000,
                model,
                system_fingerprint = "fp_bench",
                choices = Array.Empty<object>(),
                usage = new { prompt_tokens = 12, completion_tokens = chunks, total_tokens = 12 + chunks },
            }))
            .Concat("data: [DONE]\n\n"u8.ToArray())
            .ToArray();
        return new ModelFrames(Data(Chunk(model, new { role = "assistant", content = "", refusal = (string?)null }, null)), content, end);
    }

    private static object Chunk(string model, object delta, string? finishReason) => new
    {
        id = "chatcmpl-bench",
        @object = "chat.completion.chunk",
        created = 1_700_000_000,
        model,
        system_fingerprint = "fp_bench",
        service_tier = "default",
        choices = new[] { new { index = 0, delta, logprobs = (object?)null, finish_reason = finishReason } },
        usage = (object?)null,
        obfuscation = "x1y2",
    };

    private static byte[] Data(object payload) => Encoding.UTF8.GetBytes("data: " + JsonSerializer.Serialize(payload, Json) + "\n\n");
}
