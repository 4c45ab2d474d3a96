using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Arena.Bench;

/// Turns outcomes and snapshots into figures, and figures into the table and the issue's targets.
internal static class Report
{
    public const string Header =
        "| scenario | path | C | streams | errors | TTFE p50 / p99 ms | total p50 / p99 ms | events/s | server µs/event | server cores | JIT % | PG µs/event | PG ms/stream (bench backends) | RSS KB/open stream | threads | commits / ins / upd per stream |\n" +
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|";

    public static PointResult Point(string scenario, string path, int concurrency, List<StreamOutcome> outcomes, Snapshot start, Snapshot end, long baselineRssKb, ProcessSampler sampler, DatabasePerStream? database)
    {
        var seconds = Stopwatch.GetElapsedTime(start.Timestamp, end.Timestamp).TotalSeconds;
        var events = Math.Max(1, end.Events - start.Events);
        var ok = outcomes.Where(o => o.Ok).ToList();
        var serverUs = end.ServerCpuUs - start.ServerCpuUs;
        var postgresUs = end.PostgresCpuUs.Sum(p => p.Value - start.PostgresCpuUs.GetValueOrDefault(p.Key));
        var benchBackendsUs = end.PostgresCpuUs.Where(p => end.BenchBackends.Contains(p.Key)).Sum(p => p.Value - start.PostgresCpuUs.GetValueOrDefault(p.Key));
        var streamsInWindow = Math.Max(1.0, (double)events / Math.Max(1, ok.Count == 0 ? 1 : ok.Average(o => o.Events)));
        return new PointResult
        {
            Scenario = scenario,
            Path = path,
            Concurrency = concurrency,
            WindowSeconds = Round(seconds),
            Streams = outcomes.Count,
            Errors = outcomes.Count(o => !o.Ok && !o.Unfinished),
            Unfinished = outcomes.Count(o => o.Unfinished),
            ErrorSamples = [.. outcomes.Where(o => o.Error is not null).GroupBy(o => o.Error!).OrderByDescending(g => g.Count()).Take(3).Select(g => $"{g.Count()} × {g.Key}")],
            TtfeP50Ms = Percentile(ok.Select(o => o.FirstEventMs), 50),
            TtfeP99Ms = Percentile(ok.Select(o => o.FirstEventMs), 99),
            TotalP50Ms = Percentile(ok.Select(o => o.TotalMs), 50),
            TotalP99Ms = Percentile(ok.Select(o => o.TotalMs), 99),
            EventsPerStream = Round(ok.Count == 0 ? 0 : ok.Average(o => o.Events)),
            EventsPerSecond = Round(events / seconds),
            ServerCores = Round(serverUs / 1e6 / seconds),
            ServerCpuUsPerEvent = Round(serverUs / events),
            ServerTieringPercent = Round(serverUs <= 0 ? 0 : 100 * Math.Max(0, end.ServerTieringCpuUs - start.ServerTieringCpuUs) / serverUs),
            PostgresCores = Round(postgresUs / 1e6 / seconds),
            PostgresCpuUsPerEvent = Round(postgresUs / events),
            // Streams' worth of events delivered in the window, so that streams straddling its edges count in part.
            PostgresCpuMsPerStream = Round(postgresUs / 1000 / streamsInWindow),
            PostgresBenchBackendsCpuMsPerStream = Round(benchBackendsUs / 1000 / streamsInWindow),
            LoadGeneratorCpuUsPerEvent = Round((end.LoadGeneratorCpuUs - start.LoadGeneratorCpuUs) / events),
            RssBaselineMb = Round(baselineRssKb / 1024.0),
            RssPeakMb = Round(sampler.PeakRssKb / 1024.0),
            PeakOpenStreams = sampler.PeakOpenStreams,
            RssKbPerOpenStream = Round(sampler.PeakOpenStreams == 0 ? 0 : Math.Max(0, sampler.RssAtPeakOpenKb - baselineRssKb) / (double)sampler.PeakOpenStreams),
            ThreadsMin = sampler.MinThreads == int.MaxValue ? 0 : sampler.MinThreads,
            ThreadsPeak = sampler.PeakThreads,
            Database = database,
        };
    }

    public static string Row(PointResult p) => string.Create(CultureInfo.InvariantCulture,
        $"| {p.Scenario} | {p.Path} | {p.Concurrency} | {p.Streams} | {p.Errors + p.Unfinished} | {p.TtfeP50Ms:F1} / {p.TtfeP99Ms:F1} | {p.TotalP50Ms:F0} / {p.TotalP99Ms:F0} | {p.EventsPerSecond:F0} | {p.ServerCpuUsPerEvent:F0} | {p.ServerCores:F2} | {p.ServerTieringPercent:F1} | {(BenchRunner.IsRelay(p.Path) ? "—" : $"{p.PostgresCpuUsPerEvent:F0}")} | {(BenchRunner.IsRelay(p.Path) ? "—" : $"{p.PostgresCpuMsPerStream:F2} ({p.PostgresBenchBackendsCpuMsPerStream:F2})")} | {p.RssKbPerOpenStream:F0} | {p.ThreadsMin}–{p.ThreadsPeak} | {(p.Database is { } d ? $"{d.Commits:F1} / {d.Inserted:F1} / {d.Updated:F1}" : "—")} |")
        + (p.ErrorSamples.Length > 0 ? $" {string.Join("; ", p.ErrorSamples)}" : "");

    public static BenchReport Build(DateTimeOffset started, BenchOptions options, List<PointResult> points, List<LimitsResult> limits)
    {
        var knees = options.Paths.Append("soak").Where(path => points.Any(p => p.Path == path && p.Scenario != "soak"))
            .ToDictionary(path => path, path => Knee(points, path, options.KneeP99Ms));
        return new BenchReport(started, $"{Environment.ProcessorCount} cores, {Environment.OSVersion}", Commit(options.RepoRoot), options, points, knees, Targets(points, knees), FourParticipants(points), limits);
    }

    private static List<FourParticipantsResult> FourParticipants(List<PointResult> points) =>
        [.. points.Where(p => p.Scenario == "sweep" && p.Path is "relay4" or "gateway4").Select(p => p.Concurrency).Distinct().Order()
            .Select(c => new FourParticipantsResult(c, SweepPoint(points, "relay", c)?.ServerCpuUsPerEvent, SweepPoint(points, "relay4", c)?.ServerCpuUsPerEvent,
                SweepPoint(points, "gateway", c)?.ServerCpuUsPerEvent, SweepPoint(points, "gateway4", c)?.ServerCpuUsPerEvent))];

    private static string FourParticipantsText(FourParticipantsResult four)
    {
        var parts = new List<string>();
        if (four.Relay4Us is { } relay4)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"relay of four {relay4:F0} µs") + (four.Relay4VsRelay is { } r ? string.Create(CultureInfo.InvariantCulture, $" ({r:F2}× the relay of two, {four.RelayUs:F0} µs)") : ""));
        }

        if (four.Gateway4Us is { } gateway4)
        {
            var against = new List<string>();
            if (four.Gateway4VsGateway is { } g)
            {
                against.Add(string.Create(CultureInfo.InvariantCulture, $"{g:F2}× the gateway of two, {four.GatewayUs:F0} µs"));
            }

            if (four.Gateway4VsRelay4 is { } r)
            {
                against.Add(string.Create(CultureInfo.InvariantCulture, $"{r:F2}× the relay of four"));
            }

            parts.Add(string.Create(CultureInfo.InvariantCulture, $"gateway of four {gateway4:F0} µs") + (against.Count > 0 ? $" ({string.Join("; ", against)})" : ""));
        }

        if (four.GatewayVsRelay is { } two)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"gateway of two {two:F2}× the relay of two"));
        }

        return string.Create(CultureInfo.InvariantCulture, $"CPU per event, four participants, at C={four.Concurrency}: {string.Join(", ", parts)}");
    }

    public static string Text(BenchReport report)
    {
        var text = new StringBuilder();
        if (report.Points.Count == 0)
        {
            // Only the limits scenario ran: no point, so no table, knee or target to show.
            foreach (var only in report.Limits)
            {
                text.AppendLine();
                text.Append(LimitsText(only));
            }

            return text.ToString();
        }

        text.AppendLine(Header);
        foreach (var point in report.Points)
        {
            text.AppendLine(Row(point));
        }

        text.AppendLine();
        var knees = string.Join(", ", report.Knees.Select(k => $"{k.Key} {Show(k.Value)}"));
        text.AppendLine(CultureInfo.InvariantCulture, $"Knee (largest C with p99 TTFE < {report.Options.KneeP99Ms} ms and no errors): {knees}");
        foreach (var concurrency in new[] { 100, 500 })
        {
            if (SweepPoint(report.Points, "relay", concurrency) is { } relay && SweepPoint(report.Points, "relay-sdk", concurrency) is { } sdk)
            {
                // What the required SDK costs by itself, so that the gateway's ratio splits into the SDK's share and Arena's.
                var line = string.Create(CultureInfo.InvariantCulture,
                    $"CPU per event at C={concurrency}: relay {relay.ServerCpuUsPerEvent:F0} µs, relay through the official SDK {sdk.ServerCpuUsPerEvent:F0} µs ({sdk.ServerCpuUsPerEvent / relay.ServerCpuUsPerEvent:F2}×)");
                if (SweepPoint(report.Points, "gateway", concurrency) is { } gateway)
                {
                    line += string.Create(CultureInfo.InvariantCulture,
                        $", gateway {gateway.ServerCpuUsPerEvent:F0} µs ({gateway.ServerCpuUsPerEvent / relay.ServerCpuUsPerEvent:F2}× the relay, {gateway.ServerCpuUsPerEvent / sdk.ServerCpuUsPerEvent:F2}× the relay through the SDK)");
                }

                text.AppendLine(line);
            }
        }

        foreach (var four in report.FourParticipants)
        {
            text.AppendLine(FourParticipantsText(four));
        }

        text.AppendLine();
        text.AppendLine("| target | goal | measured | met |");
        text.AppendLine("|---|---|---|---|");
        foreach (var target in report.Targets)
        {
            text.AppendLine($"| {target.Target} | {target.Goal} | {target.Measured} | {(target.Met switch { true => "yes", false => "no", null => "not measured" })} |");
        }

        foreach (var limits in report.Limits)
        {
            text.AppendLine();
            text.Append(LimitsText(limits));
        }

        return text.ToString();
    }

    public static string LimitsText(LimitsResult result)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture,
            $"limits/{result.Path}: {result.Users} users × {result.ClientsPerUser} clients, limit {result.LimitPerUser} per user, {result.WindowSeconds} s window, streams of {result.StreamSeconds} s");
        text.AppendLine("| user | requests | accepted | complete + stored | 429 (per minute) | 503 | refused with Retry-After | errors | peak open raw / settled | longest over limit ms | mean open | user msgs / replies stored | replies consistent |");
        text.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var u in result.PerUser)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {u.User} | {u.Requests} | {u.Accepted} | {u.CompleteAndStored} | {u.Refused429} ({u.Refused429PerMinute}) | {u.Refused503} | {u.RefusedWithRetryAfter} | {u.Errors} | {u.PeakOpenRaw} / {u.PeakOpenSettled} | {u.LongestOverLimitMs:F1} | {u.MeanOpen:F2} | {u.UserMessagesStored} / {u.RepliesStored} | {u.RepliesConsistent} |");
        }

        foreach (var check in result.Checks)
        {
            text.AppendLine($"{(check.Passed ? "PASS" : "FAIL")} {check.Check}: {check.Detail}");
        }

        return text.ToString();
    }

    private static PointResult? SweepPoint(IEnumerable<PointResult> points, string path, int concurrency) =>
        points.FirstOrDefault(p => p.Scenario == "sweep" && p.Path == path && p.Concurrency == concurrency);

    private static int? Knee(List<PointResult> points, string path, double p99Ms) =>
        points.Where(p => p.Path == path && !p.Failed && p.Streams > 0 && p.TtfeP99Ms < p99Ms).Select(p => (int?)p.Concurrency).Max();

    private static List<TargetResult> Targets(List<PointResult> points, Dictionary<string, int?> knees)
    {
        var targets = new List<TargetResult>();
        foreach (var concurrency in new[] { 100, 500 })
        {
            var relay = SweepPoint(points, "relay", concurrency);
            var gateway = SweepPoint(points, "gateway", concurrency);
            targets.Add(relay is null || gateway is null
                ? new($"server CPU per delivered event at C={concurrency}, gateway vs relay", "≤ 1.5×", "not both measured", null)
                : Ratio($"server CPU per delivered event at C={concurrency}, gateway vs relay", gateway.ServerCpuUsPerEvent, relay.ServerCpuUsPerEvent, 1.5, "µs"));
        }

        var relayKnee = knees.GetValueOrDefault("relay");
        var gatewayKnee = knees.GetValueOrDefault("gateway");
        targets.Add(new("knee, gateway vs relay", "≥ 70%",
            $"{Show(gatewayKnee)} vs {Show(relayKnee)}" + (relayKnee is > 0 && gatewayKnee is { } g ? string.Create(CultureInfo.InvariantCulture, $" ({100.0 * g / relayKnee.Value:F0}%)") : ""),
            relayKnee is > 0 && gatewayKnee is not null ? gatewayKnee >= 0.7 * relayKnee : relayKnee is > 0 && gatewayKnee is null && knees.ContainsKey("gateway") ? false : null));

        var lightRelay = points.FirstOrDefault(p => p.Scenario == "light" && p.Path == "relay");
        var lightGateway = points.FirstOrDefault(p => p.Scenario == "light" && p.Path == "gateway");
        if (lightRelay is not null && lightGateway is not null)
        {
            var addedP50 = lightGateway.TtfeP50Ms - lightRelay.TtfeP50Ms;
            var addedP99 = lightGateway.TtfeP99Ms - lightRelay.TtfeP99Ms;
            targets.Add(new($"added time to first event at C={lightGateway.Concurrency}, gateway over relay", "≤ 2 ms p50 / 10 ms p99",
                string.Create(CultureInfo.InvariantCulture, $"{addedP50:F1} / {addedP99:F1} ms"), addedP50 <= 2 && addedP99 <= 10));
        }
        else
        {
            targets.Add(new("added time to first event at light load, gateway over relay", "≤ 2 ms p50 / 10 ms p99", "not measured", null));
        }

        var gateway100 = SweepPoint(points, "gateway", 100);
        targets.Add(gateway100 is null
            ? new("PostgreSQL CPU per compare stream (gateway, C=100)", "≤ 1 ms", "not measured", null)
            : new("PostgreSQL CPU per compare stream (gateway, C=100)", "≤ 1 ms",
                string.Create(CultureInfo.InvariantCulture, $"{gateway100.PostgresCpuMsPerStream:F2} ms all postgres processes, {gateway100.PostgresBenchBackendsCpuMsPerStream:F2} ms the bench's backends"),
                gateway100.PostgresBenchBackendsCpuMsPerStream <= 1));

        var rssPoint = points.Where(p => p.Path == "gateway" && !p.Failed).MaxBy(p => p.Concurrency);
        targets.Add(rssPoint is null
            ? new("RSS per open compare stream (gateway)", "≤ 150 KB", "not measured", null)
            : new("RSS per open compare stream (gateway)", "≤ 150 KB",
                string.Create(CultureInfo.InvariantCulture, $"{rssPoint.RssKbPerOpenStream:F0} KB at C={rssPoint.Concurrency}"), rssPoint.RssKbPerOpenStream <= 150));

        var gatewayPoints = points.Where(p => p.Path == "gateway").ToList();
        targets.Add(gatewayPoints.Count < 2
            ? new("threads flat (gateway, across concurrency)", "flat", "not measured", null)
            : new("threads flat (gateway, across concurrency)", "flat (peak within 16 of the lowest point's)",
                string.Join(", ", gatewayPoints.Select(p => $"C={p.Concurrency}: {p.ThreadsPeak}")),
                gatewayPoints.Max(p => p.ThreadsPeak) - gatewayPoints.Min(p => p.ThreadsPeak) <= 16));

        var streamingKnee = knees.GetValueOrDefault("direct");
        var legacyKnee = knees.GetValueOrDefault("legacy");
        targets.Add(new("legacy knee vs streaming's (direct)", "≥ 10× below",
            knees.ContainsKey("legacy") && knees.ContainsKey("direct") ? $"legacy {Show(legacyKnee)} vs streaming {Show(streamingKnee)}" : "not measured",
            streamingKnee is { } s && knees.ContainsKey("legacy") ? (legacyKnee ?? 0) * 10 <= s : null));
        targets.Add(TelemetryCost(points));
        return targets;
    }

    /// Issue 10: telemetry adds no measurable per-chunk cost. The rounds alternate on and off, so the spread between the
    /// rounds of one side is the run's own noise; a difference of the means within it is no measurable cost.
    private static TargetResult TelemetryCost(List<PointResult> points)
    {
        const string target = "server CPU per delivered event, telemetry on (/metrics scraped every second) vs off";
        const string goal = "difference within the spread between rounds of one side";
        var on = points.Where(p => p.Scenario == "telemetry" && p.Path == BenchRunner.TelemetryOn && !p.Failed).Select(p => p.ServerCpuUsPerEvent).ToList();
        var off = points.Where(p => p.Scenario == "telemetry" && p.Path == BenchRunner.TelemetryOff && !p.Failed).Select(p => p.ServerCpuUsPerEvent).ToList();
        if (on.Count == 0 || off.Count == 0)
        {
            return new(target, goal, "not measured", null);
        }

        var difference = on.Average() - off.Average();
        var noise = Math.Max(on.Max() - on.Min(), off.Max() - off.Min());
        var measured = string.Create(CultureInfo.InvariantCulture,
            $"on {on.Average():F1} µs ({string.Join(", ", on.Select(v => v.ToString("F1", CultureInfo.InvariantCulture)))}) vs off {off.Average():F1} µs ({string.Join(", ", off.Select(v => v.ToString("F1", CultureInfo.InvariantCulture)))}): {on.Average() / off.Average():F3}×, difference {difference:F1} µs, spread {noise:F1} µs");
        return new(target, goal, measured, on.Count < 2 || off.Count < 2 ? null : Math.Abs(difference) <= noise);
    }

    private static TargetResult Ratio(string target, double measured, double reference, double limit, string unit) =>
        new(target, string.Create(CultureInfo.InvariantCulture, $"≤ {limit}×"),
            string.Create(CultureInfo.InvariantCulture, $"{measured:F0} vs {reference:F0} {unit} ({measured / reference:F2}×)"), measured <= limit * reference);

    private static string Show(int? knee) => knee is { } c ? c.ToString(CultureInfo.InvariantCulture) : "below the first point";

    private static double Percentile(IEnumerable<double> values, int percentile)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? 0 : Round(sorted[Math.Clamp((int)Math.Ceiling(percentile / 100.0 * sorted.Length) - 1, 0, sorted.Length - 1)]);
    }

    private static double Round(double value) => Math.Round(value, 2);

    private static string Commit(string repo)
    {
        try
        {
            using var git = Process.Start(new ProcessStartInfo("git", ["-C", repo, "rev-parse", "--short", "HEAD"]) { RedirectStandardOutput = true, UseShellExecute = false });
            var commit = git!.StandardOutput.ReadToEnd().Trim();
            git.WaitForExit();
            return commit;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "";
        }
    }
}
