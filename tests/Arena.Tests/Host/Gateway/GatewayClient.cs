using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Arena.Tests.Host.Gateway;

internal static class GatewayClient
{
    public static string Body(Guid sessionId, string content = "hello") =>
        JsonSerializer.Serialize(new { session_id = sessionId, messages = new[] { new { role = "user", content } } });

    /// A whole conversation resent by an old client, session_id last: Cyrillic text, \u-escaped like Python's json.dumps
    /// writes it, and decoy session_id fields inside the messages, which must not count.
    public static string LongConversationBody(Guid sessionId, Guid decoy, int turns = 300)
    {
        var messages = Enumerable.Range(0, turns).Select(turn => new
        {
            role = turn % 2 == 0 ? "user" : "assistant",
            content = $"ход {turn}: " + string.Concat(Enumerable.Repeat("привет, мир! ", 20)),
            session_id = decoy,
            metadata = new { session_id = decoy, note = "\"session_id\":\"" + decoy + "\"" },
        });
        return JsonSerializer.Serialize(new { messages, session_id = sessionId });
    }

    public static HttpRequestMessage StreamRequest(string body, string path = "/api/messages/stream", string? pipelineOverride = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new StringContent(body, Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
        };
        if (pipelineOverride is not null)
        {
            request.Headers.Add("X-Arena-Pipeline", pipelineOverride);
        }

        return request;
    }

    /// Sends a stream request through the gateway and returns what the fake destination says it received.
    public static async Task<(HttpResponseMessage Response, ReceivedRequest Echo)> SendAsync(HttpClient client, HttpRequestMessage request)
    {
        var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        var echo = JsonSerializer.Deserialize<ReceivedRequest>(text, JsonSerializerOptions.Web)!;
        return (response, echo);
    }

    /// Deterministic ids, so a statistical assertion over them can never flake.
    public static IEnumerable<Guid> SessionIds(int seed)
    {
        var random = new Random(seed);
        var bytes = new byte[16];
        while (true)
        {
            random.NextBytes(bytes);
            yield return new Guid(bytes);
        }
    }
}
