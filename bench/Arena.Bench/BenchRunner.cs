using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;

namespace Arena.Bench;

/// Runs the scenarios: every point with a fresh fake upstream and a fresh server, measured from outside.
internal sealed partial class BenchRunner(BenchOptions options, TextWriter console)
{
    public const string TelemetryOn = "telemetry-on";

    public const string TelemetryOff = "telemetry-off";

    /// The throughput paths. Each but legacy-raised has a four-participant variant named with a trailing 4 (relay4,
    /// gateway4, legacy4, …): the same path on compare sessions of four models, so that a turn of four can be set against
    /// one of two.
    public static readonly string[] KnownPaths =
        ["relay", "relay-sdk", "direct", "gateway", "legacy", "legacy-raised", "relay4", "relay-sdk4", "direct4", "gateway4", "legacy4"];

    /// The reference, and the same relay reading its upstreams through the official OpenAI SDK as Arena must: no Arena.
    public static bool IsRelay(string path) => BasePath(path) is "relay" or "relay-sdk";

    public static string BasePath(string path) => path.EndsWith('4') ? path[..^1] : path;

    /// The soak runs direct-mode sessions; every other path compares two models, or four for a variant named with a 4.
    public static int Participants(string path) => path == "soak" ? 1 : path.EndsWith('4') ? 4 : 2;

    private readonly BenchToken token = new();
    private readonly BenchDatabase database = new(options.PostgresAdmin, options.DatabaseName);

    private string Bin(string project, string dll) => Path.Combine(options.RepoRoot, project, "bin", options.Configuration, "net10.0", dll);

    private string Logs => Path.Combine(options.RepoRoot, options.LogDirectory);

    public async Task<BenchReport> RunAsync()
    {
        var started = DateTimeOffset.UtcNow;
        var points = new List<PointResult>();
        var limits = new List<LimitsResult>();
        await database.RecreateAsync();
        try
        {
            // Migrations run once here, so that no point pays for them.
            await using (var upstream = await StartUpstreamAsync(1, 1))
            await using (await StartArenaAsync("migrate", upstream, new Dictionary<string, string>()))
            {
            }

            if (options.Scenarios.Any(scenario => scenario != "limits"))
            {
                console.WriteLine(Report.Header);
            }

            if (options.Scenarios.Contains("light"))
            {
                foreach (var path in options.Paths.Where(path => IsRelay(path) || BasePath(path) is "direct" or "gateway"))
                {
                    points.Add(Print(await MeasureAsync("light", path, options.LightConcurrency, once: false)));
                }
            }

            if (options.Scenarios.Contains("sweep"))
            {
                foreach (var path in options.Paths)
                {
                    foreach (var concurrency in path.StartsWith("legacy", StringComparison.Ordinal) ? options.LegacySweep : options.Sweep)
                    {
                        var point = Print(await MeasureAsync("sweep", path, concurrency, once: false));
                        points.Add(point);
                        // A window in which no stream started means every client was still in a stream longer than it: past the limit too.
                        if (point.Failed || point.Streams == 0 || point.TtfeP99Ms > options.StopAtP99Ms)
                        {
                            break;
                        }
                    }
                }
            }

            if (options.Scenarios.Contains("soak"))
            {
                points.Add(Print(await MeasureAsync("soak", "soak", options.SoakStreams, once: true)));
            }

            if (options.Scenarios.Contains("limits"))
            {
                limits.Add(await MeasureLimitsAsync("gateway"));
                limits.Add(await MeasureLimitsAsync("legacy"));
            }

            if (options.Scenarios.Contains("telemetry"))
            {
                for (var round = 0; round < options.TelemetryRounds; round++)
                {
                    foreach (var path in new[] { TelemetryOn, TelemetryOff })
                    {
                        points.Add(Print(await MeasureAsync("telemetry", path, options.TelemetryConcurrency, once: false)));
                    }
                }
            }
        }
        finally
        {
            await database.DropAsync();
        }

        return Report.Build(started, options, points, limits);
    }

    private PointResult Print(PointResult point)
    {
        console.WriteLine(Report.Row(point));
        return point;
    }

    private async Task<PointResult> MeasureAsync(string scenario, string path, int concurrency, bool once)
    {
        var soak = scenario == "soak";
        var chunks = soak ? Math.Max(1, (int)(options.SoakSeconds * 1000 / options.SoakIntervalMs)) : options.Chunks;
        var interval = soak ? options.SoakIntervalMs : options.IntervalMs;
        var streamLength = TimeSpan.FromMilliseconds(chunks * (double)interval);
        var participants = Participants(path);

        var before = IsRelay(path) ? default : await database.CountersAsync();
        await using var upstream = await StartUpstreamAsync(chunks, interval);
        var server = IsRelay(path) ? await StartRelayAsync(upstream) : await StartArenaAsync($"{scenario}-{path}-{concurrency}", upstream, ArenaSettings(path));
        using var load = new LoadGenerator(token.For("bench"));
        StreamTarget target;
        try
        {
            target = IsRelay(path)
                ? new StreamTarget(new Uri(server.Address, $"/{BasePath(path)}?upstreams={participants}"), _ => JsonSerializer.SerializeToUtf8Bytes(new { prompt = options.Prompt }), null, null, participants)
                : await ArenaTargetAsync(load.Http, server.Address, path, concurrency, soak ? "direct" : "compare", participants);

            // One stream first, so that start-up work (JIT, first connections) is not read as memory per stream.
            var warm = await load.RunOneAsync(target, 0, CancellationToken.None);
            if (!warm.Ok)
            {
                throw new InvalidOperationException($"{path}: the first stream failed ({warm.Error}); see {server.LogPath}.");
            }
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        if (!soak && options.SettleSeconds > 0)
        {
            using var settled = new CancellationTokenSource(TimeSpan.FromSeconds(options.SettleSeconds));
            var settleClients = Math.Min(concurrency, options.SettleConcurrency);
            await load.RunAsync(target, settleClients, streamLength, once: false, settled.Token, TimeSpan.FromSeconds(Math.Max(10, 3 * streamLength.TotalSeconds)));
        }

        // Taken once the server settled: what an idle, warm server holds, so that the growth under load is the streams'.
        var (baselineRssKb, _) = ProcStats.Memory(server.Pid);
        var warmup = soak ? TimeSpan.Zero : TimeSpan.FromSeconds(options.WarmupSeconds);
        var duration = soak ? TimeSpan.Zero : TimeSpan.FromSeconds(options.DurationSeconds);
        var ramp = soak ? TimeSpan.FromSeconds(options.SoakRampSeconds) : streamLength < warmup || warmup == TimeSpan.Zero ? streamLength : warmup;
        using var stopStarting = new CancellationTokenSource();
        var drain = TimeSpan.FromSeconds(Math.Max(10, 3 * streamLength.TotalSeconds));

        List<StreamOutcome> outcomes;
        Snapshot start, end;
        ProcessSampler sampler;
        await using (sampler = new ProcessSampler(server.Pid, () => load.OpenStreams))
        await using (path == TelemetryOn ? new MetricsScraper(load.Http, new Uri(server.Address, "/metrics")) : null)
        {
            var running = load.RunAsync(target, concurrency, ramp, once, stopStarting.Token, drain);
            if (soak)
            {
                start = await Snapshot.TakeAsync(server.Pid, load, database);
                outcomes = await running;
                end = await Snapshot.TakeAsync(server.Pid, load, database);
            }
            else
            {
                await Task.Delay(warmup);
                await WaitForTieringAsync(server.Pid);
                start = await Snapshot.TakeAsync(server.Pid, load, database);
                await Task.Delay(duration);
                end = await Snapshot.TakeAsync(server.Pid, load, database);
                await stopStarting.CancelAsync();
                outcomes = await running;
            }
        }

        var served = load.StartedStreams;
        await server.DisposeAsync();
        DatabasePerStream? perStream = null;
        if (!IsRelay(path))
        {
            var delta = await database.CountersAsync() - before;
            perStream = new DatabasePerStream(delta.Commits / (double)served, delta.Rollbacks / (double)served, delta.Inserted / (double)served,
                delta.Updated / (double)served, delta.Deleted / (double)served, delta.Returned / (double)served);
        }

        var measured = soak ? outcomes : [.. outcomes.Where(o => o.StartedTicks >= start.Timestamp && o.StartedTicks < end.Timestamp)];
        return Report.Point(scenario, path, concurrency, measured, start, end, baselineRssKb, sampler, perStream);
    }

    /// Stepping up from the settling load to the point's opens connections and runs code the settling did not make hot,
    /// and the runtime recompiles it in the background for several seconds (up to 0.9 of a core, 13–15% of the server's
    /// CPU in a window that started 3 s after the step, per `perf`). That is start-up work, so the window waits, up to
    /// --tiering-wait seconds, until the recompiling thread used at most 2% of the server's CPU two seconds running.
    private async Task WaitForTieringAsync(int pid)
    {
        var waited = Stopwatch.StartNew();
        var quietSeconds = 0;
        var (tiering, server) = (ProcStats.TieringCpuMicroseconds(pid), ProcStats.CpuMicroseconds(pid));
        while (quietSeconds < 2 && waited.Elapsed.TotalSeconds < options.TieringWaitSeconds)
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            var (nextTiering, nextServer) = (ProcStats.TieringCpuMicroseconds(pid), ProcStats.CpuMicroseconds(pid));
            quietSeconds = nextTiering - tiering <= Math.Max(10_000, 0.02 * (nextServer - server)) ? quietSeconds + 1 : 0;
            (tiering, server) = (nextTiering, nextServer);
        }
    }

    private Dictionary<string, string> ArenaSettings(string path)
    {
        var throughGateway = BasePath(path) is "gateway" or TelemetryOn or TelemetryOff;
        var settings = new Dictionary<string, string>
        {
            ["Arena__Gateway__AllowOverrideHeader"] = throughGateway ? "false" : "true",
            ["Arena__Gateway__StreamingShare"] = throughGateway ? "100" : "0",
            ["Arena__Telemetry__Enabled"] = path == TelemetryOff ? "false" : "true",
            // Every stream here belongs to one user: the per-user limits guard a shared service, not what is measured.
            ["Arena__Limits__StreamsPerUser"] = "10000",
            ["Arena__Limits__StreamRequestsPerMinute"] = "1000000",
            ["Arena__Limits__AcrossInstances"] = "false",
            ["Arena__Messaging__LegacyUserSharePercent"] = "100",
        };
        if (path == "legacy-raised")
        {
            settings["Arena__Messaging__LegacyMaxConcurrentStreams"] = options.LegacyRaisedCap.ToString(CultureInfo.InvariantCulture);
        }

        return settings;
    }

    private async Task<StreamTarget> ArenaTargetAsync(HttpClient http, Uri arena, string path, int clients, string mode, int participants)
    {
        // One session per client, reused turn after turn as a user would; the sessions are made before anything is measured.
        var bodies = new byte[clients][];
        var sessions = new Guid[clients];
        using var gate = new SemaphoreSlim(32);
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async client =>
        {
            await gate.WaitAsync();
            try
            {
                using var created = await http.PostAsJsonAsync(new Uri(arena, "/api/sessions"), SessionRequest(mode, participants, $"bench {client}"));
                if (!created.IsSuccessStatusCode)
                {
                    throw new InvalidOperationException($"Creating a session answered {(int)created.StatusCode}: {await created.Content.ReadAsStringAsync()}");
                }

                var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
                sessions[client] = id;
                bodies[client] = JsonSerializer.SerializeToUtf8Bytes(new { session_id = id, messages = new[] { new { role = "user", content = options.Prompt } } });
            }
            finally
            {
                gate.Release();
            }
        }));

        var (header, expect) = BasePath(path) switch
        {
            "direct" or "soak" => ("streaming", "streaming"),
            "gateway" or TelemetryOn or TelemetryOff => ((string?)null, "streaming"),
            _ => ("legacy", "legacy"),
        };
        return new StreamTarget(new Uri(arena, "/api/messages/stream/?protocol=data"), client => bodies[client], header, expect, participants, sessions);
    }

    /// Two participants are asked for as the old service's clients ask (model_a, model_b); more only exist as a list,
    /// where a model may repeat: a, c on bench_a and b, d on bench_b, as the relay of four names its upstreams.
    private static Dictionary<string, object?> SessionRequest(string mode, int participants, string title)
    {
        var request = new Dictionary<string, object?> { ["mode"] = mode, ["title"] = title };
        if (participants > 2)
        {
            request["models"] = Enumerable.Range(0, participants).Select(i => i % 2 == 0 ? "bench_a" : "bench_b").ToArray();
        }
        else
        {
            request["model_a"] = "bench_a";
            request["model_b"] = mode == "compare" ? "bench_b" : null;
        }

        return request;
    }

    private Task<ServerProcess> StartUpstreamAsync(int chunks, int intervalMs) => ServerProcess.StartAsync(
        "upstream", Bin("bench/Arena.Bench.Upstream", "Arena.Bench.Upstream.dll"),
        ["--chunks", chunks.ToString(CultureInfo.InvariantCulture), "--interval-ms", intervalMs.ToString(CultureInfo.InvariantCulture)],
        new Dictionary<string, string>(), Logs, "/v1/models");

    private Task<ServerProcess> StartRelayAsync(ServerProcess upstream) => ServerProcess.StartAsync(
        "relay", Bin("bench/Arena.Bench.Relay", "Arena.Bench.Relay.dll"), ["--upstream", new Uri(upstream.Address, "/v1/").ToString()],
        new Dictionary<string, string>(), Logs, "/health");

    private Task<ServerProcess> StartArenaAsync(string name, ServerProcess upstream, Dictionary<string, string> extra)
    {
        var environment = token.HostEnvironment(database.AppConnectionString, new Dictionary<string, string>
        {
            ["Arena__Providers__bench__Kind"] = "openai",
            ["Arena__Providers__bench__BaseUrl"] = new Uri(upstream.Address, "/v1").ToString(),
            ["Arena__Providers__bench__ApiKey"] = "sk-bench-not-a-secret",
            ["Arena__Models__bench_a__Provider"] = "bench",
            ["Arena__Models__bench_a__ProviderModel"] = "bench-a",
            ["Arena__Models__bench_a__DisplayName"] = "Bench A",
            ["Arena__Models__bench_b__Provider"] = "bench",
            ["Arena__Models__bench_b__ProviderModel"] = "bench-b",
            ["Arena__Models__bench_b__DisplayName"] = "Bench B",
        }.Concat(extra));

        return ServerProcess.StartAsync($"arena-{name}", Bin("src/Host", "Arena.Host.dll"), [], environment, Logs, "/health/ready");
    }
}

/// CPU and delivery counters at one instant of a point.
internal sealed record Snapshot(long Timestamp, double ServerCpuUs, double ServerTieringCpuUs, Dictionary<int, double> PostgresCpuUs, HashSet<int> BenchBackends, long Events, double LoadGeneratorCpuUs)
{
    public static async Task<Snapshot> TakeAsync(int serverPid, LoadGenerator load, BenchDatabase database)
    {
        var backends = await database.BackendPidsAsync();
        return new Snapshot(Stopwatch.GetTimestamp(), ProcStats.CpuMicroseconds(serverPid), ProcStats.TieringCpuMicroseconds(serverPid), ProcStats.PostgresCpuMicroseconds(), backends,
            load.DeliveredEvents, ProcStats.CpuMicroseconds(Environment.ProcessId));
    }
}
