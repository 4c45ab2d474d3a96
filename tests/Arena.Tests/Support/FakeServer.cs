using System.Collections.Concurrent;
using System.Net;
using System.Threading.Channels;
using Arena.Tests.Support.FakeUpstreams;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Arena.Tests.Support;

/// A loopback HTTP server standing in for something the Host calls over the network (a model provider, a pipeline
/// behind the gateway). A subclass maps its endpoints on <see cref="App"/> in its constructor and reads each request
/// through <see cref="RecordAsync"/>, so that every fake keeps the same record of what it was sent.
public abstract class FakeServer : IAsyncDisposable
{
    private readonly ConcurrentQueue<RecordedRequest> requests = new();
    private readonly Channel<RecordedRequest> arrivals = Channel.CreateUnbounded<RecordedRequest>();

    protected FakeServer()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        App = builder.Build();
    }

    public Uri BaseUrl { get; private set; } = null!;

    public IReadOnlyList<RecordedRequest> Requests => [.. requests];

    protected WebApplication App { get; }

    /// The next request to arrive (in arrival order), waiting up to <paramref name="timeout"/>.
    public async Task<RecordedRequest> NextRequestAsync(TimeSpan timeout)
    {
        using var wait = new CancellationTokenSource(timeout);
        return await arrivals.Reader.ReadAsync(wait.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    protected async Task StartAsync()
    {
        await App.StartAsync();
        BaseUrl = new Uri(App.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/");
    }

    /// Reads the request's body and records it; its <see cref="RecordedRequest.ClientGone"/> completes if the client aborts.
    protected async Task<RecordedRequest> RecordAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body);
        var body = await reader.ReadToEndAsync(context.RequestAborted);
        var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        var request = new RecordedRequest(context.Request.Method, context.Request.Path + context.Request.QueryString, headers, body);
        requests.Enqueue(request);
        arrivals.Writer.TryWrite(request);
        return request;
    }

    /// Forgets the recorded requests, so that one server can serve several tests in turn.
    protected void ForgetRequests()
    {
        requests.Clear();
        while (arrivals.Reader.TryRead(out _))
        {
        }
    }
}
