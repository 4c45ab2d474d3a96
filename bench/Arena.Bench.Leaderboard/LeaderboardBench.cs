using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Arena.Bench.Leaderboard;

/// Seeds the votes, starts the Host on them and asks for leaderboards through GET /api/leaderboard as a reader would,
/// honouring the 202's Retry-After, one board at a time, so that the Host's CPU over each wait belongs to one refresh.
internal sealed class LeaderboardBench(LeaderboardBenchOptions options, TextWriter console)
{
    private static readonly string[] Controls = ["none", "length"];

    // Every measured board has a start date of its own, so that the refresher computes it afresh; all of them lie before
    // the votes (cast over the last 30 days), so each board counts every vote, as the board of the whole history does.
    private static readonly DateOnly FirstSince = new(2000, 1, 1);

    private readonly BenchToken token = new();
    private readonly BenchDatabase database = new(options.PostgresAdmin, options.DatabaseName);

    public async Task<int> RunAsync()
    {
        await database.RecreateAsync();
        try
        {
            // The Host creates the schema; the votes go in while it is stopped, so that its first round counts them all.
            await using (await StartHostAsync("migrate"))
            {
            }

            var seeding = Stopwatch.StartNew();
            await VoteFixture.SeedAsync(database.AppConnectionString, options.Votes, options.Models, DateTimeOffset.UtcNow);
            console.WriteLine($"{options.Votes:N0} counted votes over {options.Models} models seeded with binary COPY and vacuumed in {seeding.Elapsed.TotalSeconds:F1} s");

            await using var host = await StartHostAsync("measure");
            using var http = new HttpClient { BaseAddress = host.Address, Timeout = TimeSpan.FromMinutes(10) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token.For("bench-leaderboard"));

            // The Host computes both boards of the whole history as it starts, cold (JIT, pools), one after the other:
            // their CPU cannot be split, and includes the start-up itself, so it is reported once, for both.
            var first = new List<RefreshResult>();
            foreach (var control in Controls)
            {
                first.Add(await AskAsync(http, host, "first round", control, since: null, fromStart: true));
                console.WriteLine(first[^1]);
            }

            console.WriteLine($"first round: the Host's CPU from its start to both boards stored, start-up included: {first[^1].HostCpuSeconds:F2} s");
            var measured = new List<RefreshResult>();
            for (var repeat = 1; repeat <= options.Repeats; repeat++)
            {
                foreach (var control in Controls)
                {
                    measured.Add(await AskAsync(http, host, $"repeat {repeat}", control, FirstSince.AddDays(repeat), fromStart: false));
                    console.WriteLine(measured[^1]);
                }
            }

            console.WriteLine();
            console.Write(Summary(measured));
            var wrong = first.Concat(measured).Where(r => r.CountedVotes != options.Votes || r.RatedModels != options.Models || r.Refreshes != 1).ToList();
            foreach (var result in wrong)
            {
                console.WriteLine($"unexpected: {result.Label} {result.Control} counted {result.CountedVotes:N0} votes, rated {result.RatedModels} models in {result.Refreshes} refreshes");
            }

            return wrong.Count == 0 ? 0 : 1;
        }
        finally
        {
            await database.DropAsync();
        }
    }

    private async Task<RefreshResult> AskAsync(HttpClient http, ServerProcess host, string label, string control, DateOnly? since, bool fromStart)
    {
        var metrics = new Uri(host.Address, "/metrics");
        var before = fromStart ? default : await RefreshHistogram.ScrapeAsync(http, metrics, control);
        var hostCpu = fromStart ? 0 : ProcStats.CpuMicroseconds(host.Pid);
        var postgresCpu = await PostgresCpuAsync();
        var query = $"/api/leaderboard?control={control}" + (since is { } day ? $"&since={day:yyyy-MM-dd}" : "");
        var wait = Stopwatch.StartNew();
        int? firstRetryAfter = null;
        var requests = 0;
        JsonElement board;
        while (true)
        {
            using var response = await http.GetAsync(query);
            requests++;
            if (response.StatusCode == HttpStatusCode.OK)
            {
                board = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
                break;
            }

            if (response.StatusCode != HttpStatusCode.Accepted || response.Headers.RetryAfter?.Delta is not { } retryAfter)
            {
                throw new InvalidOperationException($"{query} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}; see {host.LogPath}.");
            }

            firstRetryAfter ??= (int)retryAfter.TotalSeconds;
            await Task.Delay(retryAfter);
        }

        var readerWait = wait.Elapsed.TotalSeconds;
        // The refresher records the duration just after it stored the snapshot that the 200 was read from.
        var after = before;
        for (var deadline = Stopwatch.StartNew(); after.Count == before.Count && deadline.Elapsed < TimeSpan.FromSeconds(30); await Task.Delay(50))
        {
            after = await RefreshHistogram.ScrapeAsync(http, metrics, control);
        }

        var hostCpuAfter = ProcStats.CpuMicroseconds(host.Pid);
        var postgresCpuAfter = await PostgresCpuAsync();
        var rows = board.GetProperty("models");
        var top = rows.GetArrayLength() == 0 ? "-" : string.Create(
            CultureInfo.InvariantCulture,
            $"{rows[0].GetProperty("model").GetString()} {rows[0].GetProperty("rating").GetDouble():F1} [{rows[0].GetProperty("rating_lower").GetDouble():F1}, {rows[0].GetProperty("rating_upper").GetDouble():F1}]");
        if (board.TryGetProperty("length_coefficient", out var coefficient) && coefficient.ValueKind == JsonValueKind.Number)
        {
            top += string.Create(CultureInfo.InvariantCulture, $" length_coefficient={coefficient.GetDouble():F3}");
        }

        return new RefreshResult(
            label, control, (int)(after.Count - before.Count), after.SumSeconds - before.SumSeconds, (hostCpuAfter - hostCpu) / 1e6,
            postgresCpuAfter.Sum(p => p.Value - postgresCpu.GetValueOrDefault(p.Key)) / 1e6, readerWait, firstRetryAfter, requests,
            board.GetProperty("counted_votes").GetInt64(), rows.GetArrayLength(), top);
    }

    /// CPU of the PostgreSQL backends serving the bench database now, by pid (the Host's pool keeps them between refreshes).
    private async Task<Dictionary<int, double>> PostgresCpuAsync()
    {
        var backends = await database.BackendPidsAsync();
        return ProcStats.PostgresCpuMicroseconds().Where(p => backends.Contains(p.Key)).ToDictionary();
    }

    private static string Summary(List<RefreshResult> measured)
    {
        static double Median(IEnumerable<double> values)
        {
            var sorted = values.Order().ToArray();
            return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
        }

        var text = new System.Text.StringBuilder();
        var medians = new Dictionary<string, (double Refresh, double Cpu)>();
        foreach (var control in Controls)
        {
            var runs = measured.Where(r => r.Control == control).ToList();
            medians[control] = (Median(runs.Select(r => r.RefreshSeconds)), Median(runs.Select(r => r.HostCpuSeconds)));
            text.AppendLine(CultureInfo.InvariantCulture,
                $"control={control,-6} refresh median {medians[control].Refresh:F2} s ({string.Join(", ", runs.Select(r => r.RefreshSeconds.ToString("F2", CultureInfo.InvariantCulture)))}), "
                + $"host CPU median {medians[control].Cpu:F2} s ({string.Join(", ", runs.Select(r => r.HostCpuSeconds.ToString("F2", CultureInfo.InvariantCulture)))}), "
                + $"PostgreSQL CPU median {Median(runs.Select(r => r.PostgresCpuSeconds)):F2} s");
        }

        text.AppendLine(CultureInfo.InvariantCulture,
            $"length control / none: refresh {medians["length"].Refresh / medians["none"].Refresh:F2}x, host CPU {medians["length"].Cpu / medians["none"].Cpu:F2}x");
        return text.ToString();
    }

    private Task<ServerProcess> StartHostAsync(string name)
    {
        var environment = token.HostEnvironment(database.AppConnectionString, new Dictionary<string, string>
        {
            // One whole round, at the start; after it the refresher computes only the boards the bench asks for.
            ["Arena__Leaderboard__RefreshInterval"] = "1.00:00:00",
            ["Arena__Leaderboard__MaxSinceSnapshots"] = Math.Max(16, 2 * options.Repeats).ToString(CultureInfo.InvariantCulture),
        });
        var dll = Path.Combine(options.RepoRoot, "src", "Host", "bin", "Release", "net10.0", "Arena.Host.dll");
        return ServerProcess.StartAsync($"arena-leaderboard-{name}", dll, [], environment, Path.Combine(options.RepoRoot, options.LogDirectory), "/health/ready");
    }
}
