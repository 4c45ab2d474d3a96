using System.Globalization;

namespace Arena.Bench;

/// Every size of the run. The defaults are the issue's full run; <c>--quick</c> shrinks them for a look in a minute or two.
internal sealed record BenchOptions
{
    public string RepoRoot { get; init; } = "";

    public string Configuration { get; init; } = "Release";

    [System.Text.Json.Serialization.JsonIgnore]
    public string PostgresAdmin { get; init; } = "";

    public string DatabaseName { get; init; } = "arena_bench";

    public string OutputPath { get; init; } = "bench/results/report.json";

    public string LogDirectory { get; init; } = "bench/results/logs";

    public string[] Scenarios { get; init; } = ["light", "sweep", "soak", "telemetry"];

    public string[] Paths { get; init; } = ["relay", "relay-sdk", "direct", "gateway", "legacy", "legacy-raised"];

    public int Chunks { get; init; } = 50;

    public int IntervalMs { get; init; } = 50;

    public double DurationSeconds { get; init; } = 20;

    public double WarmupSeconds { get; init; } = 3;

    /// Before the warm-up, each fresh server runs this long at <see cref="SettleConcurrency"/> (or the point's, if lower):
    /// a process only reaches its steady state once the JIT's tiers, the thread pool and the GC's budgets have caught up
    /// with the load, which on two busy cores takes tens of seconds, and a point measured before that reads start-up cost.
    public double SettleSeconds { get; init; } = 30;

    public int SettleConcurrency { get; init; } = 50;

    /// How long, at most, the window waits after the warm-up for the runtime's background recompilation to go quiet.
    public double TieringWaitSeconds { get; init; } = 30;

    public int LightConcurrency { get; init; } = 10;

    public int[] Sweep { get; init; } = [100, 250, 500, 1000, 2000];

    /// Legacy starts lower: its cap (64 by default) lies below the first point of the sweep, and its knee must be found.
    public int[] LegacySweep { get; init; } = [25, 50, 100, 250, 500, 1000, 2000];

    public int LegacyRaisedCap { get; init; } = 4000;

    public double StopAtP99Ms { get; init; } = 1000;

    public double KneeP99Ms { get; init; } = 250;

    public int SoakStreams { get; init; } = 4000;

    public double SoakSeconds { get; init; } = 60;

    public int SoakIntervalMs { get; init; } = 2000;

    public double SoakRampSeconds { get; init; } = 30;

    /// The telemetry scenario: rounds of the gateway path with telemetry on (and /metrics scraped every second) and off,
    /// alternated, so that both sides share whatever else the machine does during the run.
    public int TelemetryConcurrency { get; init; } = 50;

    public int TelemetryRounds { get; init; } = 3;

    /// The limits scenario: users each running <see cref="LimitsOverload"/> times their limit of clients for
    /// <see cref="LimitsSeconds"/>, on streams of <see cref="LimitsChunks"/> chunks; the limits are set explicitly to these.
    public int LimitsUsers { get; init; } = 6;

    public double LimitsOverload { get; init; } = 2;

    public double LimitsSeconds { get; init; } = 20;

    public int LimitsChunks { get; init; } = 100;

    public int LimitsStreamsPerUser { get; init; } = 8;

    public int LimitsRequestsPerMinute { get; init; } = 120;

    /// Users of the legacy variant: the pool divided by one user's share, so that each one can reach its share.
    public int LimitsLegacyUsers { get; init; } = 4;

    public int LimitsLegacyCap { get; init; } = 64;

    public int LimitsLegacySharePercent { get; init; } = 25;

    /// The legacy variant is about the fair share: the per-minute limit is raised there so that it does not bind first.
    public int LimitsLegacyRequestsPerMinute { get; init; } = 100_000;

    /// How long a refused client waits before it asks again: shorter than Retry-After, to keep every user over its limit.
    public int LimitsRetryMs { get; init; } = 200;

    /// How long the client may see one stream more than the limit open (see bench/README.md) before it counts as a breach.
    public double LimitsToleranceMs { get; init; } = 50;

    public string Prompt { get; init; } = "Compare the two pipelines in one paragraph.";

    public static BenchOptions Parse(string[] args)
    {
        var options = new BenchOptions();
        var rest = new Queue<string>(args);
        while (rest.Count > 0)
        {
            var name = rest.Dequeue();
            if (name is "all")
            {
                continue;
            }

            if (name == "--quick")
            {
                options = options with
                {
                    DurationSeconds = 5,
                    WarmupSeconds = 1,
                    SettleSeconds = 5,
                    TieringWaitSeconds = 5,
                    Sweep = [100, 250],
                    LegacySweep = [25, 50, 100],
                    SoakStreams = 300,
                    SoakSeconds = 10,
                    SoakRampSeconds = 3,
                    TelemetryRounds = 2,
                };
                continue;
            }

            if (rest.Count == 0)
            {
                throw new ArgumentException($"{name} needs a value.");
            }

            var value = rest.Dequeue();
            options = name switch
            {
                "--repo" => options with { RepoRoot = value },
                "--configuration" or "-c" => options with { Configuration = value },
                "--postgres" => options with { PostgresAdmin = value },
                "--database" => options with { DatabaseName = value },
                "--out" => options with { OutputPath = value },
                "--logs" => options with { LogDirectory = value },
                "--scenarios" => options with { Scenarios = List(value) },
                "--paths" => options with { Paths = List(value) },
                "--chunks" => options with { Chunks = Int(value) },
                "--interval-ms" => options with { IntervalMs = Int(value) },
                "--duration" => options with { DurationSeconds = Double(value) },
                "--warmup" => options with { WarmupSeconds = Double(value) },
                "--settle" => options with { SettleSeconds = Double(value) },
                "--settle-c" => options with { SettleConcurrency = Int(value) },
                "--tiering-wait" => options with { TieringWaitSeconds = Double(value) },
                "--light" => options with { LightConcurrency = Int(value) },
                "--sweep" => options with { Sweep = [.. List(value).Select(Int)] },
                "--legacy-sweep" => options with { LegacySweep = [.. List(value).Select(Int)] },
                "--legacy-cap" => options with { LegacyRaisedCap = Int(value) },
                "--stop-p99-ms" => options with { StopAtP99Ms = Double(value) },
                "--knee-p99-ms" => options with { KneeP99Ms = Double(value) },
                "--soak-streams" => options with { SoakStreams = Int(value) },
                "--soak-seconds" => options with { SoakSeconds = Double(value) },
                "--soak-interval-ms" => options with { SoakIntervalMs = Int(value) },
                "--soak-ramp" => options with { SoakRampSeconds = Double(value) },
                "--telemetry-c" => options with { TelemetryConcurrency = Int(value) },
                "--telemetry-rounds" => options with { TelemetryRounds = Int(value) },
                "--limits-users" => options with { LimitsUsers = Int(value) },
                "--limits-overload" => options with { LimitsOverload = Double(value) },
                "--limits-seconds" => options with { LimitsSeconds = Double(value) },
                "--limits-chunks" => options with { LimitsChunks = Int(value) },
                "--limits-streams-per-user" => options with { LimitsStreamsPerUser = Int(value) },
                "--limits-per-minute" => options with { LimitsRequestsPerMinute = Int(value) },
                "--limits-legacy-users" => options with { LimitsLegacyUsers = Int(value) },
                "--limits-legacy-cap" => options with { LimitsLegacyCap = Int(value) },
                "--limits-legacy-share" => options with { LimitsLegacySharePercent = Int(value) },
                "--limits-legacy-per-minute" => options with { LimitsLegacyRequestsPerMinute = Int(value) },
                "--limits-retry-ms" => options with { LimitsRetryMs = Int(value) },
                "--limits-tolerance-ms" => options with { LimitsToleranceMs = Double(value) },
                "--prompt" => options with { Prompt = value },
                _ => throw new ArgumentException($"Unknown option {name}."),
            };
        }

        if (options.Paths.FirstOrDefault(path => !BenchRunner.KnownPaths.Contains(path)) is { } unknown)
        {
            throw new ArgumentException($"Unknown path {unknown}; the paths are {string.Join(", ", BenchRunner.KnownPaths)}.");
        }

        if (options.RepoRoot.Length == 0)
        {
            options = options with { RepoRoot = FindRepoRoot() };
        }

        if (options.PostgresAdmin.Length == 0)
        {
            options = options with
            {
                PostgresAdmin = Environment.GetEnvironmentVariable("ARENA_POSTGRES_ADMIN")
                    ?? throw new ArgumentException("Pass --postgres or set ARENA_POSTGRES_ADMIN (source scripts/postgres.sh)."),
            };
        }

        return options;
    }

    private static string[] List(string value) => value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static int Int(string value) => int.Parse(value, CultureInfo.InvariantCulture);

    private static double Double(string value) => double.Parse(value, CultureInfo.InvariantCulture);

    private static string FindRepoRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Arena.sln")))
            {
                return directory.FullName;
            }
        }

        throw new ArgumentException("Arena.sln not found above the harness; pass --repo.");
    }
}
