using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Arena.Tests.Host.Gateway;

/// A stand-in for one pipeline (or the old service) on its own loopback port: says who it is, echoes what it received,
/// streams slowly on request, and has a health endpoint the test can switch off.
public sealed class FakeDestination : IAsyncDisposable
{
    /// Asks for an endless slow event stream; the value names the stream so the test can wait for its abort.
    public const string SlowHeader = "X-Fake-Slow";

    private readonly WebApplication app;
    private readonly ConcurrentDictionary<string, TaskCompletionSource> aborted = new();
    private readonly ConcurrentQueue<ReceivedRequest> received = new();
    private volatile bool healthy = true;

    private FakeDestination(string name, WebApplication app)
    {
        Name = name;
        this.app = app;
    }

    public string Name { get; }

    public Uri BaseAddress { get; private set; } = null!;

    public bool Healthy
    {
        get => healthy;
        set => healthy = value;
    }

    public IReadOnlyCollection<ReceivedRequest> Received => received;

    public static async Task<FakeDestination> StartAsync(string name)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var fake = new FakeDestination(name, app);
        app.MapGet("/health", () => fake.Healthy ? Results.Text("Healthy") : Results.StatusCode(StatusCodes.Status503ServiceUnavailable));
        app.MapPost("/{**path}", fake.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        fake.BaseAddress = new Uri(address.TrimEnd('/') + "/");
        return fake;
    }

    /// Completes when the named slow stream's request was aborted, i.e. the client on the far side of the gateway went away.
    public Task StreamAborted(string stream) => aborted.GetOrAdd(stream, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    public ValueTask DisposeAsync() => app.DisposeAsync();

    private async Task HandleAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body);
        var body = await reader.ReadToEndAsync(context.RequestAborted);
        var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        var request = new ReceivedRequest(Name, context.Request.Path.Value ?? "", body, headers);
        received.Enqueue(request);

        if (headers.TryGetValue(SlowHeader, out var stream))
        {
            await StreamSlowlyAsync(context, stream);
            return;
        }

        await context.Response.WriteAsJsonAsync(request, JsonSerializerOptions.Web);
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
