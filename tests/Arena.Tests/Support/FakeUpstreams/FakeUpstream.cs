using System.Collections.Concurrent;
using System.Net;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Arena.Tests.Support.FakeUpstreams;

/// A loopback HTTP server standing in for a model provider. A test scripts one <see cref="FakeResponse"/> per
/// expected request (in order; <see cref="OpenAIStream"/> and <see cref="AnthropicStream"/> write the exact wire
/// formats), points a provider's BaseUrl at <see cref="OpenAIBaseUrl"/> or <see cref="AnthropicBaseUrl"/>, and then
/// inspects <see cref="Requests"/>. A request with nothing scripted gets a 599 so that the test fails visibly.
public sealed class FakeUpstream : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly ConcurrentQueue<FakeResponse> script = new();
    private readonly ConcurrentQueue<RecordedRequest> requests = new();
    private readonly Channel<RecordedRequest> arrivals = Channel.CreateUnbounded<RecordedRequest>();

    private FakeUpstream()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        app = builder.Build();
        app.Run(ServeAsync);
        app.StartAsync().GetAwaiter().GetResult();
        BaseUrl = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/");
    }

    public Uri BaseUrl { get; }

    /// What OpenAI-compatible clients take as their base URL (they append <c>chat/completions</c>).
    public Uri OpenAIBaseUrl => new(BaseUrl, "v1/");

    /// What the Anthropic client takes as its base URL (it appends <c>v1/messages</c>).
    public Uri AnthropicBaseUrl => BaseUrl;

    public IReadOnlyList<RecordedRequest> Requests => requests.ToList();

    public static FakeUpstream Start() => new();

    public void Enqueue(params FakeResponse[] responses)
    {
        foreach (var response in responses)
        {
            script.Enqueue(response);
        }
    }

    /// Forgets the script and the recorded requests, so that one server can serve several tests in turn.
    public void Reset()
    {
        script.Clear();
        requests.Clear();
        while (arrivals.Reader.TryRead(out _))
        {
        }
    }

    /// The next request to arrive (in arrival order), waiting up to <paramref name="timeout"/>.
    public async Task<RecordedRequest> NextRequestAsync(TimeSpan timeout)
    {
        using var wait = new CancellationTokenSource(timeout);
        return await arrivals.Reader.ReadAsync(wait.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }

    private async Task ServeAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body);
        var body = await reader.ReadToEndAsync(context.RequestAborted);
        var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        var request = new RecordedRequest(context.Request.Method, context.Request.Path + context.Request.QueryString, headers, body);
        requests.Enqueue(request);
        arrivals.Writer.TryWrite(request);
        using var registration = context.RequestAborted.Register(request.MarkClientGone);

        if (!script.TryDequeue(out var response))
        {
            context.Response.StatusCode = 599;
            await context.Response.WriteAsync("The fake upstream has no scripted response for this request.");
            return;
        }

        context.Response.StatusCode = response.StatusCode;
        context.Response.ContentType = response.ContentType;
        foreach (var (name, value) in response.Headers)
        {
            context.Response.Headers[name] = value;
        }

        try
        {
            await context.Response.StartAsync(context.RequestAborted);
            foreach (var frame in response.Frames)
            {
                switch (frame)
                {
                    case FakeFrame.BytesFrame bytes:
                        await context.Response.Body.WriteAsync(bytes.Content, context.RequestAborted);
                        await context.Response.Body.FlushAsync(context.RequestAborted);
                        break;
                    case FakeFrame.DelayFrame delay:
                        await Task.Delay(delay.Duration, context.RequestAborted);
                        break;
                    case FakeFrame.GateFrame gate:
                        await gate.Gate.WaitAsync(context.RequestAborted);
                        break;
                    case FakeFrame.StallFrame:
                        await Task.Delay(Timeout.InfiniteTimeSpan, context.RequestAborted);
                        break;
                    case FakeFrame.DisconnectFrame:
                        // Our own abort is not the client leaving.
                        registration.Dispose();
                        context.Abort();
                        return;
                }
            }
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            request.MarkClientGone();
        }
    }
}
