using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Arena.Tests.Support.FakeUpstreams;

/// A loopback HTTP server standing in for a model provider. A test scripts one <see cref="FakeResponse"/> per
/// expected request (in order; <see cref="OpenAIStream"/> and <see cref="AnthropicStream"/> write the exact wire
/// formats), points a provider's BaseUrl at <see cref="OpenAIBaseUrl"/> or <see cref="AnthropicBaseUrl"/>, and then
/// inspects <see cref="FakeServer.Requests"/>. A request with nothing scripted gets a 599 so that the test fails visibly.
public sealed class FakeUpstream : FakeServer
{
    private readonly ConcurrentQueue<FakeResponse> script = new();

    private FakeUpstream()
    {
        App.Run(ServeAsync);
    }

    /// What OpenAI-compatible clients take as their base URL (they append <c>chat/completions</c>).
    public Uri OpenAIBaseUrl => new(BaseUrl, "v1/");

    /// What the Anthropic client takes as its base URL (it appends <c>v1/messages</c>).
    public Uri AnthropicBaseUrl => BaseUrl;

    public static FakeUpstream Start()
    {
        var upstream = new FakeUpstream();
        upstream.StartAsync().GetAwaiter().GetResult();
        return upstream;
    }

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
        ForgetRequests();
    }

    private async Task ServeAsync(HttpContext context)
    {
        var request = await RecordAsync(context);
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
