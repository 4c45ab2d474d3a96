using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Arena.Bench;

/// One stream of the limits scenario as the client saw it: how it was answered, when it was open, and the text it got.
/// Times are Stopwatch timestamps; <see cref="LastEndAt"/> is when the last participant's end line was read.
internal sealed record CapturedStream(
    int Client,
    long SentAt,
    long AnsweredAt,
    long LastEndAt,
    long ClosedAt,
    int Status,
    bool RetryAfter,
    int RetryAfterSeconds,
    bool PerMinute,
    string? Error,
    Dictionary<char, StringBuilder> Content,
    Dictionary<char, bool> Stored)
{
    public bool Accepted => Status == 200 && Error is not "served by another pipeline";

    public bool Refused => Status is 429 or 503;

    public bool Complete(int participants) => Accepted && Error is null && Stored.Count == participants;
}

internal sealed partial class LoadGenerator
{
    /// Reads a whole stream line by line and keeps each participant's text, for the limits scenario only: it parses every
    /// event, which the throughput scenarios must not pay for.
    public async Task<CapturedStream> RunCapturedAsync(StreamTarget target, int client, CancellationToken cancel)
    {
        var sent = Stopwatch.GetTimestamp();
        var content = new Dictionary<char, StringBuilder>();
        var stored = new Dictionary<char, bool>();
        long answered = 0, lastEnd = 0;
        var status = 0;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, target.Url) { Content = new ByteArrayContent(target.Body(client)) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            if (target.PipelineHeader is not null)
            {
                request.Headers.Add("X-Arena-Pipeline", target.PipelineHeader);
            }

            using var response = await this.client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel);
            answered = Stopwatch.GetTimestamp();
            status = (int)response.StatusCode;
            if (!response.IsSuccessStatusCode)
            {
                var problem = await response.Content.ReadAsStringAsync(cancel);
                return new CapturedStream(client, sent, answered, 0, Stopwatch.GetTimestamp(), status, response.Headers.RetryAfter is not null,
                    (int)(response.Headers.RetryAfter?.Delta?.TotalSeconds ?? 0), problem.Contains("this minute", StringComparison.Ordinal), status is 429 or 503 ? null : $"HTTP {status}", content, stored);
            }

            if (target.ExpectPipeline is not null && (!response.Headers.TryGetValues("X-Arena-Pipeline", out var served) || !served.Contains(target.ExpectPipeline)))
            {
                return new CapturedStream(client, sent, answered, 0, Stopwatch.GetTimestamp(), status, false, 0, false, "served by another pipeline", content, stored);
            }

            Interlocked.Increment(ref openStreams);
            try
            {
                await using var body = await response.Content.ReadAsStreamAsync(cancel);
                using var reader = new StreamReader(body, Encoding.UTF8);
                string? error = null;
                while (await reader.ReadLineAsync(cancel) is { } line)
                {
                    if (line.Length < 3)
                    {
                        continue;
                    }

                    Interlocked.Increment(ref deliveredEvents);
                    var participant = line[0];
                    using var json = JsonDocument.Parse(line.AsMemory(3));
                    switch (line[1])
                    {
                        case '0':
                            (content.TryGetValue(participant, out var text) ? text : content[participant] = new StringBuilder())
                                .Append(json.RootElement.GetProperty("content").GetString());
                            break;
                        case '3':
                            error ??= $"error event {json.RootElement.GetProperty("error").GetProperty("code").GetString()}";
                            break;
                        case 'd':
                            stored[participant] = json.RootElement.TryGetProperty("stored", out var flag) && flag.GetBoolean();
                            lastEnd = Stopwatch.GetTimestamp();
                            break;
                    }
                }

                if (error is null && stored.Count != target.Participants)
                {
                    error = "incomplete reply";
                }

                return new CapturedStream(client, sent, answered, lastEnd, Stopwatch.GetTimestamp(), status, false, 0, false, error, content, stored);
            }
            finally
            {
                Interlocked.Decrement(ref openStreams);
            }
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            return new CapturedStream(client, sent, answered, lastEnd, Stopwatch.GetTimestamp(), status, false, 0, false, "unfinished at the end of the run", content, stored);
        }
        catch (Exception exception) when (exception is HttpRequestException or IOException or JsonException)
        {
            return new CapturedStream(client, sent, answered, lastEnd, Stopwatch.GetTimestamp(), status, false, 0, false, exception.GetType().Name + ": " + exception.Message, content, stored);
        }
    }
}
