using System.Collections.Concurrent;
using System.Text.Json;
using Arena.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Arena.Tests.Host.Gateway;

/// A stand-in for one pipeline (or the old service) on its own loopback port: says who it is, echoes what it received,
/// streams slowly on request, and has a health endpoint the test can switch off.
public sealed class FakeDestination : FakeServer
{
    /// Asks for an endless slow event stream; the value names the stream so the test can wait for its abort.
    public const string SlowHeader = "X-Fake-Slow";

    private readonly ConcurrentDictionary<string, TaskCompletionSource> aborted = new();
    private volatile bool healthy = true;

    private FakeDestination(string name)
    {
        Name = name;
        App.MapGet("/health", () => Healthy ? Results.Text("Healthy") : Results.StatusCode(StatusCodes.Status503ServiceUnavailable));
        App.MapPost("/{**path}", HandleAsync);
    }

    public string Name { get; }

    public bool Healthy
    {
        get => healthy;
        set => healthy = value;
    }

    public static async Task<FakeDestination> StartAsync(string name)
    {
        var fake = new FakeDestination(name);
        await fake.StartAsync();
        return fake;
    }

    /// Completes when the named slow stream's request was aborted, i.e. the client on the far side of the gateway went away.
    public Task StreamAborted(string stream) => aborted.GetOrAdd(stream, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    private async Task HandleAsync(HttpContext context)
    {
        var request = await RecordAsync(context);
        if (request.Headers.TryGetValue(SlowHeader, out var stream))
        {
            await StreamSlowlyAsync(context, stream);
            return;
        }

        await context.Response.WriteAsJsonAsync(new ReceivedRequest(Name, context.Request.Path.Value ?? "", request.Body, new Dictionary<string, string>(request.Headers)), JsonSerializerOptions.Web);
    }

    private async Task StreamSlowlyAsync(HttpContext context, string stream)
    {
        var abort = aborted.GetOrAdd(stream, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        context.RequestAborted.Register(() => abort.TrySetResult());
        context.Response.ContentType = "text/event-stream";
        try
        {
            await context.Response.WriteAsync($"data: {Name}\n\n", context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
            while (!context.RequestAborted.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), context.RequestAborted);
                await context.Response.WriteAsync(": keep-alive\n\n", context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (IOException)
        {
        }
    }
}
