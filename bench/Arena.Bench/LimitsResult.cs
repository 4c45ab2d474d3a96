using System.Diagnostics;
using System.Globalization;

namespace Arena.Bench;

/// One user of the limits scenario: what its clients got, how many streams it held at once, and what was stored.
internal sealed record LimitsUser
{
    public required string User { get; init; }

    public required int Clients { get; init; }

    public required int Requests { get; init; }

    public required int Accepted { get; init; }

    /// Accepted streams that ended with an end line per participant, no error event, and <c>stored: true</c> for both.
    public required int CompleteAndStored { get; init; }

    public required int Refused429 { get; init; }

    /// 429s whose problem says the per-minute limit refused them rather than the concurrent one.
    public required int Refused429PerMinute { get; init; }

    public required int Refused503 { get; init; }

    /// The largest Retry-After (seconds) of the per-minute 429s, which should point to the end of the window, not 1 s.
    public required int PerMinuteRetryAfterMaxSeconds { get; init; }

    public required int RefusedWithRetryAfter { get; init; }

    public required int Errors { get; init; }

    public required string[] ErrorSamples { get; init; }

    /// Most accepted streams open at once, each from its 200 to the end of its response body.
    public required int PeakOpenRaw { get; init; }

    /// The same with each stream ending when its last end line was read, which the server writes before it lets go of the slot.
    public required int PeakOpenSettled { get; init; }

    /// The longest stretch during which the settled count was above the limit.
    public required double LongestOverLimitMs { get; init; }

    /// Average settled count from one stream's length after the start to the end of the window.
    public required double MeanOpen { get; init; }

    public required int UserMessagesStored { get; init; }

    public required long RepliesStored { get; init; }

    /// Replies of accepted streams stored as success with exactly the text the client received.
    public required int RepliesConsistent { get; init; }

    public required string[] Mismatches { get; init; }

    public static LimitsUser Measure(string user, int clients, int limit, List<CapturedStream> streams, IReadOnlyList<Guid> sessions,
        Dictionary<Guid, List<StoredTurn>> stored, long replies, long steadyFrom, long steadyTo, double toleranceMs)
    {
        var accepted = streams.Where(s => s.Accepted).ToList();
        var settled = accepted.Select(s => (s.AnsweredAt, s.LastEndAt > 0 ? s.LastEndAt : s.ClosedAt)).ToList();
        var (peakSettled, longestOver) = Sweep(settled, limit);
        var mismatches = new List<string>();
        var consistent = 0;
        for (var client = 0; client < sessions.Count; client++)
        {
            // One session per client and one stream at a time per client: the session's turns are the client's accepted streams in order.
            var mine = accepted.Where(s => s.Client == client).OrderBy(s => s.SentAt).ToList();
            var turns = stored[sessions[client]];
            if (turns.Count != mine.Count)
            {
                mismatches.Add($"client {client}: {mine.Count} accepted streams, {turns.Count} user messages stored");
            }

            foreach (var (stream, turn) in mine.Zip(turns))
            {
                foreach (var participant in new[] { 'a', 'b' })
                {
                    var received = stream.Content.TryGetValue(participant, out var text) ? text.ToString() : "";
                    if (!turn.Replies.TryGetValue(participant, out var reply))
                    {
                        mismatches.Add($"client {client}, turn {turn.UserMessage}: no reply {participant} stored");
                    }
                    else if (received.Length == 0 || reply.Status != "success" || reply.Content != received)
                    {
                        mismatches.Add($"client {client}, turn {turn.UserMessage}, {participant}: stored {reply.Status} with {reply.Content.Length} characters, the client received {received.Length}");
                    }
                    else
                    {
                        consistent++;
                    }
                }
            }
        }

        var failed = streams.Where(s => s.Error is not null).ToList();
        return new LimitsUser
        {
            User = user,
            Clients = clients,
            Requests = streams.Count,
            Accepted = accepted.Count,
            CompleteAndStored = accepted.Count(s => s.Complete(2) && s.Stored.Values.All(v => v)),
            Refused429 = streams.Count(s => s.Status == 429),
            Refused429PerMinute = streams.Count(s => s.Status == 429 && s.PerMinute),
            Refused503 = streams.Count(s => s.Status == 503),
            PerMinuteRetryAfterMaxSeconds = streams.Where(s => s.Status == 429 && s.PerMinute).Select(s => s.RetryAfterSeconds).DefaultIfEmpty().Max(),
            RefusedWithRetryAfter = streams.Count(s => s.Refused && s.RetryAfter),
            Errors = failed.Count,
            ErrorSamples = [.. failed.GroupBy(s => s.Error!).OrderByDescending(g => g.Count()).Take(3).Select(g => $"{g.Count()} × {g.Key}")],
            PeakOpenRaw = Sweep(accepted.Select(s => (s.AnsweredAt, s.ClosedAt)), limit).Peak,
            PeakOpenSettled = peakSettled,
            LongestOverLimitMs = Math.Round(longestOver, 2),
            MeanOpen = Math.Round(MeanOpenBetween(settled, steadyFrom, steadyTo), 2),
            UserMessagesStored = stored.Values.Sum(t => t.Count),
            RepliesStored = replies,
            RepliesConsistent = consistent,
            Mismatches = [.. mismatches.Take(5)],
        };
    }

    /// The most intervals open at once, and the longest stretch with more than <paramref name="limit"/> open (ms).
    /// At equal times an end counts before a start, as the server frees a slot before it can give it again.
    public static (int Peak, double LongestOverMs) Sweep(IEnumerable<(long From, long To)> intervals, int limit)
    {
        var edges = intervals.SelectMany(i => new[] { (Time: i.From, Step: 1), (Time: i.To, Step: -1) }).OrderBy(e => e.Time).ThenBy(e => e.Step).ToList();
        int open = 0, peak = 0;
        long overSince = 0;
        double longest = 0;
        foreach (var (time, step) in edges)
        {
            var before = open;
            open += step;
            peak = Math.Max(peak, open);
            if (before <= limit && open > limit)
            {
                overSince = time;
            }
            else if (before > limit && open <= limit)
            {
                longest = Math.Max(longest, Stopwatch.GetElapsedTime(overSince, time).TotalMilliseconds);
            }
        }

        return (peak, longest);
    }

    private static double MeanOpenBetween(List<(long From, long To)> intervals, long from, long to) => to <= from ? 0
        : intervals.Sum(i => (double)Math.Max(0, Math.Min(i.To, to) - Math.Max(i.From, from))) / (to - from);
}

internal sealed record LimitsCheck(string Check, bool Passed, string Detail);

/// One variant of the limits scenario (gateway on the streaming pipeline, or legacy) and the checks it passed.
internal sealed record LimitsResult(
    string Path,
    int Users,
    int LimitPerUser,
    int ClientsPerUser,
    double WindowSeconds,
    double StreamSeconds,
    double ToleranceMs,
    Dictionary<string, string> Settings,
    List<LimitsUser> PerUser,
    int PoolPeak,
    List<LimitsCheck> Checks)
{
    public bool Passed => Checks.All(c => c.Passed);

    public static LimitsResult Judge(string path, int users, int limit, int clientsPerUser, BenchOptions options, double streamSeconds,
        Dictionary<string, string> settings, List<LimitsUser> perUser, int? pool, int poolPeak)
    {
        string Each(Func<LimitsUser, object> figure) => string.Join(", ", perUser.Select(u => string.Create(CultureInfo.InvariantCulture, $"{figure(u)}")));
        var refused = perUser.Sum(u => u.Refused429 + u.Refused503);
        var checks = new List<LimitsCheck>
        {
            new($"no user above its limit of {limit} (more than {options.LimitsToleranceMs.ToString(CultureInfo.InvariantCulture)} ms)",
                perUser.All(u => u.PeakOpenSettled <= limit || u.LongestOverLimitMs <= options.LimitsToleranceMs),
                $"settled peaks {Each(u => u.PeakOpenSettled)}; raw peaks {Each(u => u.PeakOpenRaw)}; longest over the limit {Each(u => u.LongestOverLimitMs)} ms"),
            new($"every user reached its limit of {limit}", perUser.All(u => u.PeakOpenSettled >= limit),
                $"settled peaks {Each(u => u.PeakOpenSettled)}; mean open {Each(u => u.MeanOpen)}"),
            new("every user was refused, every refusal with Retry-After", perUser.All(u => u.Refused429 + u.Refused503 > 0) && perUser.All(u => u.RefusedWithRetryAfter == u.Refused429 + u.Refused503),
                string.Create(CultureInfo.InvariantCulture, $"{refused} refused ({perUser.Sum(u => u.Refused429)} × 429, of them {perUser.Sum(u => u.Refused429PerMinute)} per minute with Retry-After up to {perUser.Max(u => u.PerMinuteRetryAfterMaxSeconds)} s; {perUser.Sum(u => u.Refused503)} × 503), {perUser.Sum(u => u.RefusedWithRetryAfter)} with Retry-After")),
            new("every accepted stream ended complete and stored, no errors", perUser.All(u => u.CompleteAndStored == u.Accepted && u.Errors == 0),
                string.Create(CultureInfo.InvariantCulture, $"{perUser.Sum(u => u.CompleteAndStored)} of {perUser.Sum(u => u.Accepted)} accepted; {perUser.Sum(u => u.Errors)} errors") +
                (perUser.SelectMany(u => u.ErrorSamples).FirstOrDefault() is { } sample ? $" ({sample})" : "")),
            new("stored rows match: one user message per accepted stream, both replies success with the text the client received",
                perUser.All(u => u.UserMessagesStored == u.Accepted && u.RepliesStored == 2L * u.Accepted && u.RepliesConsistent == 2 * u.Accepted),
                string.Create(CultureInfo.InvariantCulture, $"{perUser.Sum(u => u.UserMessagesStored)} user messages for {perUser.Sum(u => u.Accepted)} accepted; {perUser.Sum(u => u.RepliesConsistent)} of {perUser.Sum(u => u.RepliesStored)} replies consistent") +
                (perUser.SelectMany(u => u.Mismatches).FirstOrDefault() is { } mismatch ? $" ({mismatch})" : "")),
        };
        if (pool is { } cap)
        {
            checks.Add(new($"the legacy pool never above {cap}", poolPeak <= cap, $"peak {poolPeak} open across users"));
        }

        return new LimitsResult(path, users, limit, clientsPerUser, options.LimitsSeconds, streamSeconds, options.LimitsToleranceMs, settings, perUser, poolPeak, checks);
    }
}
