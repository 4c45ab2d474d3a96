using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Arena.Tests.Modules.Messaging;

/// Records what one Host's "Arena.Messaging" meter measures and the "Arena.Messaging" spans that end while it listens.
/// Spans come from every Host in the process; tests pick theirs by session id.
public sealed class MessagingTelemetry : IDisposable
{
    private const string Name = "Arena.Messaging";

    private readonly MeterListener meters = new();
    private readonly ActivityListener spans;
    private readonly ConcurrentQueue<Measurement> measurements = new();
    private readonly ConcurrentQueue<Activity> stopped = new();
    private TaskCompletionSource measured = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public MessagingTelemetry(IMeterFactory hostMeters)
    {
        meters.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == Name && ReferenceEquals(instrument.Meter.Scope, hostMeters))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        meters.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(new Measurement(instrument.Name, instrument.Unit, value, Copy(tags))));
        meters.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(new Measurement(instrument.Name, instrument.Unit, value, Copy(tags))));
        meters.Start();

        spans = new ActivityListener
        {
            ShouldListenTo = source => source.Name == Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(spans);
    }

    /// Completes at the next measurement after the call, for waits that need not poll.
    public Task MeasuredAsync(CancellationToken cancellationToken) => Volatile.Read(ref measured).Task.WaitAsync(cancellationToken);

    public List<Measurement> Of(string instrument, string pipeline) =>
        [.. measurements.Where(m => m.Instrument == instrument && m.Tag("arena.pipeline") == pipeline)];

    public Activity Request(Guid sessionId) => Assert.Single(stopped, s => s.GetTagItem("arena.session_id") as string == sessionId.ToString());

    public List<Activity> Replies(Activity request) => [.. stopped.Where(s => s.ParentSpanId == request.SpanId && s.TraceId == request.TraceId).OrderBy(s => s.DisplayName, StringComparer.Ordinal)];

    public void Dispose()
    {
        meters.Dispose();
        spans.Dispose();
    }

    private void Record(Measurement measurement)
    {
        measurements.Enqueue(measurement);
        Interlocked.Exchange(ref measured, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    private static Dictionary<string, object?> Copy(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var copy = new Dictionary<string, object?>();
        foreach (var tag in tags)
        {
            copy[tag.Key] = tag.Value;
        }

        return copy;
    }

    public sealed record Measurement(string Instrument, string? Unit, double Value, Dictionary<string, object?> Tags)
    {
        public string? Tag(string name) => Tags.TryGetValue(name, out var value) ? value as string : null;
    }
}
