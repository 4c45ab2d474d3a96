using System.Collections.Concurrent;
using System.Diagnostics;
using OpenTelemetry;

namespace Arena.Tests.Telemetry;

/// An in-memory span exporter as a processor of the Host's tracer provider: keeps every span that ends and lets a test
/// wait, without polling, until one trace holds what it expects. The SDK listens to every Host in the process, so tests
/// pick their spans by trace id.
public sealed class SpanCapture : BaseProcessor<Activity>
{
    private readonly ConcurrentQueue<Activity> ended = new();
    private TaskCompletionSource changed = NewSignal();

    public override void OnEnd(Activity data)
    {
        ended.Enqueue(data);
        Interlocked.Exchange(ref changed, NewSignal()).TrySetResult();
    }

    /// The spans of one trace once <paramref name="complete"/> holds for them, or whatever arrived within the timeout
    /// (the caller's assertions then say what is missing).
    public async Task<List<Activity>> TraceAsync(ActivityTraceId traceId, Func<List<Activity>, bool> complete)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            // Taken before the snapshot, so that a span ending in between still wakes this loop.
            var next = Volatile.Read(ref changed).Task;
            var spans = ended.Where(s => s.TraceId == traceId).ToList();
            if (complete(spans))
            {
                return spans;
            }

            try
            {
                await next.WaitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                return spans;
            }
        }
    }

    /// Whether <paramref name="span"/> lies below <paramref name="ancestor"/> in the trace.
    public static bool Descends(Activity span, Activity ancestor, IReadOnlyCollection<Activity> trace)
    {
        var parent = span.ParentSpanId;
        for (var depth = 0; depth < 64 && parent != default; depth++)
        {
            if (parent == ancestor.SpanId)
            {
                return true;
            }

            parent = trace.FirstOrDefault(s => s.SpanId == parent)?.ParentSpanId ?? default;
        }

        return false;
    }

    public static string Describe(IEnumerable<Activity> spans) =>
        string.Join("\n", spans.Select(s => $"{s.Source.Name} '{s.DisplayName}' {s.SpanId} <- {s.ParentSpanId}"));

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
