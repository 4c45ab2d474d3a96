using System.Globalization;

namespace Arena.Bench.Leaderboard;

/// The sizes of one run: as many votes as the leaderboard's 3 s target was set for, by default.
internal sealed record LeaderboardBenchOptions
{
    public int Votes { get; init; } = 1_000_000;

    public int Models { get; init; } = 100;

    /// Refreshes measured per control after the first round, each of a start date of its own.
    public int Repeats { get; init; } = 3;

    public string PostgresAdmin { get; init; } = "";

    public string DatabaseName { get; init; } = "arena_bench_leaderboard";

    public string LogDirectory { get; init; } = "bench/results/logs";

    public string RepoRoot { get; init; } = "";

    public static LeaderboardBenchOptions Parse(string[] args)
    {
        var options = new LeaderboardBenchOptions();
        for (var i = 0; i < args.Length; i += 2)
        {
            var value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value.");
            options = args[i] switch
            {
                "--votes" => options with { Votes = int.Parse(value, NumberStyles.AllowThousands, CultureInfo.InvariantCulture) },
                "--models" => options with { Models = int.Parse(value, CultureInfo.InvariantCulture) },
                "--repeats" => options with { Repeats = int.Parse(value, CultureInfo.InvariantCulture) },
                "--postgres" => options with { PostgresAdmin = value },
                "--database" => options with { DatabaseName = value },
                "--logs" => options with { LogDirectory = value },
                "--repo" => options with { RepoRoot = value },
                _ => throw new ArgumentException($"Unknown option {args[i]}; see bench/README.md."),
            };
        }

        if (options.Models < 2 || options.Votes < options.Models || options.Repeats < 1)
        {
            throw new ArgumentException("At least two models, as many votes as models and one repeat.");
        }

        return options with
        {
            RepoRoot = options.RepoRoot.Length > 0 ? options.RepoRoot : FindRepoRoot(),
            PostgresAdmin = options.PostgresAdmin.Length > 0
                ? options.PostgresAdmin
                : Environment.GetEnvironmentVariable("ARENA_POSTGRES_ADMIN") ?? throw new ArgumentException("Pass --postgres or set ARENA_POSTGRES_ADMIN (source scripts/postgres.sh)."),
        };
    }

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
