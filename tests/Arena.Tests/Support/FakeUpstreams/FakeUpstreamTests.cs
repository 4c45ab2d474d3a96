using System.Net;
using System.Text;

namespace Arena.Tests.Support.FakeUpstreams;

/// How to use the fake upstream: script responses, send requests, inspect what arrived.
public sealed class FakeUpstreamTests : IAsyncLifetime
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(15);
    private readonly FakeUpstream upstream = FakeUpstream.Start();
    private readonly HttpClient client = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        client.Dispose();
        await upstream.DisposeAsync();
    }

    [Fact]
    public async Task Request_Scripted_AnsweredInOrderAndRecorded()
    {
        upstream.Enqueue(
            FakeResponse.Json(429, """{"error":"slow"}""") with { Headers = new Dictionary<string, string> { ["retry-after"] = "1" } },
            FakeResponse.EventStream(FakeFrame.Text("data: one\n\n"), FakeFrame.Delay(TimeSpan.FromMilliseconds(20)), FakeFrame.Text("data: two\n\n")));

        using var first = await client.PostAsync(new Uri(upstream.OpenAIBaseUrl, "chat/completions"), new StringContent("""{"n":1}""", Encoding.UTF8, "application/json"));
        using var second = await client.PostAsync(new Uri(upstream.OpenAIBaseUrl, "chat/completions"), new StringContent("""{"n":2}""", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.TooManyRequests, first.StatusCode);
        Assert.Equal("1", first.Headers.GetValues("retry-after").Single());
        Assert.Equal("""{"error":"slow"}""", await first.Content.ReadAsStringAsync());
        Assert.Equal("text/event-stream", second.Content.Headers.ContentType?.MediaType);
        Assert.Equal("data: one\n\ndata: two\n\n", await second.Content.ReadAsStringAsync());
        Assert.Equal([1, 2], upstream.Requests.Select(r => r.Json.GetProperty("n").GetInt32()));
        Assert.Equal("/v1/chat/completions", (await upstream.NextRequestAsync(Generous)).Path);
    }

    [Fact]
    public async Task Request_NothingScripted_Answers599()
    {
        using var response = await client.GetAsync(upstream.BaseUrl);

        Assert.Equal(599, (int)response.StatusCode);
    }

    [Fact]
    public async Task Request_ClientAbandonsAStall_ClientGoneCompletes()
    {
        upstream.Enqueue(FakeResponse.EventStream(FakeFrame.Text("data: one\n\n"), FakeFrame.Stall));
        var response = await client.GetAsync(upstream.BaseUrl, HttpCompletionOption.ResponseHeadersRead);
        var request = await upstream.NextRequestAsync(Generous);
        Assert.False(request.ClientGone.IsCompleted);

        response.Dispose();

        await request.ClientGone.WaitAsync(Generous);
    }

    [Fact]
    public async Task Request_Disconnect_ClientSeesABrokenBodyAndClientGoneStaysPending()
    {
        upstream.Enqueue(FakeResponse.EventStream(FakeFrame.Text("data: one\n\n"), FakeFrame.Delay(TimeSpan.FromMilliseconds(200)), FakeFrame.Disconnect));
        using var response = await client.GetAsync(upstream.BaseUrl, HttpCompletionOption.ResponseHeadersRead);

        await Assert.ThrowsAsync<HttpRequestException>(() => response.Content.ReadAsStringAsync());
        Assert.False((await upstream.NextRequestAsync(Generous)).ClientGone.IsCompleted);
    }
}
