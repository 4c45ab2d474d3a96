namespace Arena.BuildingBlocks.Database;

/// Bound from <c>Arena:Database</c>, once for every module's database.
public sealed class DatabaseOptions
{
    public const string Section = "Arena:Database";

    /// Off where the migrations run as a release step instead.
    public bool MigrateOnStartup { get; set; } = true;

    /// How long a request waits to connect, and for each command; they replace the connection string's own. A request
    /// waits on the database for seconds, not Npgsql's 15 s to connect and 30 s per command: an unreachable or hung
    /// database then answers 503 while the client is still there, before any stream starts. Migrations, the final writes
    /// of a stream and the leaderboard's aggregate set their own.
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(3);

    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
