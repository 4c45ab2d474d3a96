using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;

namespace Arena.Bench;

/// One stream as the client saw it. Times are from sending the request; the first event is the first complete line.
internal readonly record struct StreamOutcome(long StartedTicks, bool Ok, bool Unfinished, double FirstEventMs, double TotalMs, int Events, string? Error);

/// What one request looks like on one path: where it goes, its body and headers, and what a whole reply is.
internal sealed record StreamTarget(Uri Url, Func<int, byte[]> Body, string? PipelineHeader, string? ExpectPipeline, int Participants, IReadOnlyList<Guid>? Sessions = null);

/// A closed loop of <c>concurrency</c> clients, each sending its next stream as soon as the last one ended.
/// Reading is allocation-free per chunk: one pooled buffer per stream, lines counted with a vectorised search.
internal sealed partial class LoadGenerator : IDisposable
{
    private readonly HttpClient client;
    private long deliveredEvents;
    private int openStreams;
    private long startedStreams;

    public LoadGenerator(string token)
    {
        client = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = int.MaxValue,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            ConnectTimeout = TimeSpan.FromSeconds(30),
            UseProxy = false,
            AutomaticDecompression = DecompressionMethods.None,
        })
        { Timeout = Timeout.InfiniteTimeSpan };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }

    public HttpClient Http => client;

    public long DeliveredEvents => Interlocked.Read(ref deliveredEvents);

    public int OpenStreams => Volatile.Read(ref openStreams);

    public long StartedStreams => Interlocked.Read(ref startedStreams);

    /// Runs <paramref name="concurrency"/> clients until <paramref name="stopStarting"/> fires; streams still open
    /// <paramref name="drain"/> after that are cancelled and marked unfinished. Client starts are spread over
    /// <paramref name="ramp"/> so that the streams do not move in lockstep.
    public async Task<List<StreamOutcome>> RunAsync(StreamTarget target, int concurrency, TimeSpan ramp, bool once, CancellationToken stopStarting, TimeSpan drain)
    {
        using var cancel = new CancellationTokenSource();
        await using var registration = stopStarting.Register(() => cancel.CancelAfter(drain));
        var perClient = new List<StreamOutcome>[concurrency];
        var clients = new Task[concurrency];
        for (var i = 0; i < concurrency; i++)
        {
            var index = i;
            var delay = concurrency == 1 ? TimeSpan.Zero : ramp * index / concurrency;
            perClient[index] = [];
            clients[index] = Task.Run(async () =>
            {
                try
                {
                    await Task.Delay(delay, stopStarting);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                do
                {
                    perClient[index].Add(await RunOneAsync(target, index, cancel.Token));
                }
                while (!once && !stopStarting.IsCancellationRequested);
            }, CancellationToken.None);
        }

        await Task.WhenAll(clients);
        return [.. perClient.SelectMany(list => list)];
    }

    public async Task<StreamOutcome> RunOneAsync(StreamTarget target, int client, CancellationToken cancel)
    {
        var started = Stopwatch.GetTimestamp();
        Interlocked.Increment(ref startedStreams);
        Interlocked.Increment(ref openStreams);
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        var events = 0;
        // One bit per participant (a = bit 0) that sent its end line, and how many end lines came: exactly one each.
        var ended = 0;
        var endLines = 0;
        var failed = false;
        double firstEvent = -1;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, target.Url) { Content = new ByteArrayContent(target.Body(client)) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            if (target.PipelineHeader is not null)
            {
                request.Headers.Add("X-Arena-Pipeline", target.PipelineHeader);
            }

            using var response = await this.client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel);
            if (!response.IsSuccessStatusCode)
            {
                return new StreamOutcome(started, false, false, 0, Elapsed(started), 0, $"HTTP {(int)response.StatusCode}");
            }

            if (target.ExpectPipeline is not null && (!response.Headers.TryGetValues("X-Arena-Pipeline", out var served) || !served.Contains(target.ExpectPipeline)))
            {
                return new StreamOutcome(started, false, false, 0, Elapsed(started), 0, "served by another pipeline");
            }

            await using var body = await response.Content.ReadAsStreamAsync(cancel);
            // Position within the current line: the byte at position 0 is the participant (a, b, …), at 1 the event kind
            // (0 chunk, 3 error, d end); a line may begin in one read and go on in the next.
            var column = 0;
            byte participant = 0;
            int read;
            while ((read = await body.ReadAsync(buffer, cancel)) > 0)
            {
                var span = buffer.AsSpan(0, read);
                var newEvents = 0;
                var i = 0;
                while (i < span.Length)
                {
                    var end = span[i..].IndexOf((byte)'\n');
                    var lineBytes = end < 0 ? span.Length - i : end;
                    if (column == 0 && lineBytes > 0)
                    {
                        participant = span[i];
                    }

                    if (column <= 1 && column + lineBytes > 1)
                    {
                        var kind = span[i + 1 - column];
                        failed |= kind == (byte)'3';
                        if (kind == (byte)'d')
                        {
                            endLines++;
                            ended |= 1 << ((participant - 'a') & 31);
                        }
                    }

                    if (end < 0)
                    {
                        column += lineBytes;
                        break;
                    }

                    column = 0;
                    i += end + 1;
                    newEvents++;
                }

                if (newEvents > 0)
                {
                    if (firstEvent < 0)
                    {
                        firstEvent = Elapsed(started);
                    }

                    events += newEvents;
                    Interlocked.Add(ref deliveredEvents, newEvents);
                }
            }

            var ok = !failed && endLines == target.Participants && ended == (1 << target.Participants) - 1;
            return new StreamOutcome(started, ok, false, Math.Max(firstEvent, 0), Elapsed(started), events, ok ? null : failed ? "error event" : "incomplete reply");
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            return new StreamOutcome(started, false, true, Math.Max(firstEvent, 0), Elapsed(started), events, "unfinished at the end of the point");
        }
        catch (Exception exception) when (exception is HttpRequestException or IOException)
        {
            return new StreamOutcome(started, false, false, Math.Max(firstEvent, 0), Elapsed(started), events, exception.GetType().Name + ": " + exception.Message);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            Interlocked.Decrement(ref openStreams);
        }
    }

    public void Dispose() => client.Dispose();

    private static double Elapsed(long started) => Stopwatch.GetElapsedTime(started).TotalMilliseconds;
}
