using System.Diagnostics.Metrics;

namespace Arena.Modules.Votes.Features.Leaderboard;

/// How long the refresher takes to compute and store one leaderboard snapshot, for operators who watch whether refreshes
/// keep up as votes accumulate. Recorded once per snapshot, never per vote or request. docs/observability.md lists the
/// instrument and its tag (a test holds the page to this class).
internal sealed class LeaderboardTelemetry
{
    public const string MeterName = "Arena.Votes";

    public const string RefreshDurationInstrument = "arena.leaderboard.refresh.duration";

    /// <c>none</c> or <c>length</c>: the one dimension that changes the fit's size (length control multiplies the cells
    /// by the length buckets). A start date is not a tag: readers choose it freely.
    public const string ControlTag = "arena.leaderboard.control";

    // From a few milliseconds (a board of few votes) to minutes (millions of votes with length control on a busy host);
    // the SDK's default buckets are meant for milliseconds and would put every refresh in the first few.
    private static readonly double[] DurationBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600];

    private readonly Histogram<double> refreshDuration;

    public LeaderboardTelemetry(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        refreshDuration = meter.CreateHistogram(
            RefreshDurationInstrument,
            "s",
            "Time to compute and store one leaderboard snapshot: the grouped query over counted votes, the fit with its bootstrap, and the write.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
    }

    public void Refreshed(LeaderboardKey key, TimeSpan duration) =>
        refreshDuration.Record(duration.TotalSeconds, new KeyValuePair<string, object?>(ControlTag, key.LengthControl ? "length" : "none"));
}
