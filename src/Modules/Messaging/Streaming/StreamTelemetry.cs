using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Arena.Modules.Messaging.Streaming;

/// The pipelines' metrics and spans, recorded by the pieces both pipelines share, so that a dashboard compares like with
/// like. Meter and ActivitySource are both named "Arena.Messaging"; docs/observability.md lists every instrument, tag and
/// span (a test holds the page to this class). Recording happens at the start, the first chunk and the end of a reply,
/// never per chunk, and no content, token or key ever goes into a tag: tags stay of low cardinality.
internal sealed class StreamTelemetry : IDisposable
{
    public const string Name = "Arena.Messaging";

    public const string RequestsInstrument = "arena.stream.requests";
    public const string TimeToFirstChunkInstrument = "arena.stream.time_to_first_chunk";
    public const string DurationInstrument = "arena.stream.duration";
    public const string ActiveInstrument = "arena.stream.active";
    public const string RepliesInstrument = "arena.stream.replies";
    public const string ChunksInstrument = "arena.stream.chunks";
    public const string OutputTokensInstrument = "arena.stream.output_tokens";
    public const string TokenRateInstrument = "arena.stream.output_tokens_per_second";

    public const string PipelineTag = "arena.pipeline";
    public const string ModeTag = "arena.session_mode";
    public const string ProtocolTag = "arena.protocol";
    public const string OutcomeTag = "arena.outcome";
    public const string ModelTag = "arena.model";
    public const string StatusTag = "arena.status";
    public const string SessionTag = "arena.session_id";
    public const string ParticipantTag = "arena.participant";
    public const string MessageTag = "arena.message_id";
    public const string FinishReasonTag = "arena.finish_reason";
    public const string ErrorTypeTag = "error.type";
    public const string FirstChunkEvent = "arena.stream.first_chunk";

    // Replies take from milliseconds (the first chunk of a local model) to minutes (a long compare); the SDK's default
    // buckets stop at 10 s. The Host's views say the same; the advice serves any other listener.
    private static readonly double[] LatencyBuckets =
        [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 7.5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600];
    private static readonly double[] TokenRateBuckets = [1, 2, 5, 10, 20, 30, 50, 75, 100, 150, 200, 300, 500, 1000, 2000];

    public StreamTelemetry(IMeterFactory meters)
    {
        var meter = meters.Create(Name);
        Requests = meter.CreateCounter<long>(RequestsInstrument, "{request}", "Stream requests by pipeline and outcome, including those refused before streaming.");
        TimeToFirstChunk = meter.CreateHistogram(
            TimeToFirstChunkInstrument,
            "s",
            "Time from the start of a participant's reply to its first chunk of text.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });
        Duration = meter.CreateHistogram(
            DurationInstrument,
            "s",
            "Time from the start of a participant's reply to its end, by final status.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });
        Active = meter.CreateUpDownCounter<long>(ActiveInstrument, "{stream}", "Streams open right now, from the first byte to the end.");
        Replies = meter.CreateCounter<long>(RepliesInstrument, "{reply}", "Participants' replies that ended, by final status and error code.");
        Chunks = meter.CreateCounter<long>(ChunksInstrument, "{chunk}", "Text chunks delivered to clients, counted when each reply ends.");
        OutputTokens = meter.CreateCounter<long>(OutputTokensInstrument, "{token}", "Output tokens the providers reported, counted when each reply ends.");
        TokenRate = meter.CreateHistogram(
            TokenRateInstrument,
            "{token}/s",
            "Output tokens per second of one reply, from its first chunk to its end.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = TokenRateBuckets });
    }

    public ActivitySource Source { get; } = new(Name);

    public Counter<long> Requests { get; }

    public Histogram<double> TimeToFirstChunk { get; }

    public Histogram<double> Duration { get; }

    public UpDownCounter<long> Active { get; }

    public Counter<long> Replies { get; }

    public Counter<long> Chunks { get; }

    public Counter<long> OutputTokens { get; }

    public Histogram<double> TokenRate { get; }

    public const string UnknownPipeline = "unknown";

    /// A reply that ended without its host, found by the stream-host lease's sweep.
    public void Interrupted(string? model, string? participant) => Replies.Add(1, new TagList
    {
        { PipelineTag, UnknownPipeline },
        { ModelTag, model },
        { ParticipantTag, participant },
        { StatusTag, "interrupted" },
    });

    /// Starts the telemetry of one stream request; dispose it when the request ends.
    public StreamTrace Begin(string pipeline, CancellationToken requestAborted) => new(this, pipeline, requestAborted);

    public void Dispose() => Source.Dispose();
}
