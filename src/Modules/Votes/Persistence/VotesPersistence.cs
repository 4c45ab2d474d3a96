using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Arena.Modules.Votes.Persistence;

internal static class VotesPersistence
{
    public static DbContextOptionsBuilder Configure(DbContextOptionsBuilder options, string connectionString)
    {
        options.UseNpgsql(connectionString, npgsql => npgsql.MigrationsHistoryTable("__ef_migrations_history", VotesDbContext.Schema))
            .UseSnakeCaseNamingConvention();
        return options;
    }

    /// A request waits on the database for seconds, not Npgsql's 15 s to connect and 30 s per command: an unreachable or
    /// hung database then answers 503 while the client is still there. Migrations and the leaderboard's fit set their own.
    private static string ForRequests(string connectionString, IConfiguration configuration) =>
        new NpgsqlConnectionStringBuilder(connectionString)
        {
            Timeout = Seconds(configuration.GetValue("Arena:Database:ConnectTimeout", TimeSpan.FromSeconds(3))),
            CommandTimeout = Seconds(configuration.GetValue("Arena:Database:CommandTimeout", TimeSpan.FromSeconds(5))),
            // A server that let a command time out will not answer its cancel request either: drop the connection at once.
            CancellationTimeout = -1,
            // No statement leaves state on a session (no SET, no temporary table; LISTEN holds a connection of its own), so
            // the DISCARD ALL that Npgsql sends on the next use of a pooled connection is a round trip for nothing.
            NoResetOnClose = true,
            // Each connection prepares the statements it runs most, so they skip parsing and planning; a connection string
            // that sets its own count keeps it.
            MaxAutoPrepare = new NpgsqlConnectionStringBuilder(connectionString).MaxAutoPrepare is > 0 and var count ? count : 64,
        }.ConnectionString;

    internal static int Seconds(TimeSpan timeout) => Math.Max(1, (int)Math.Ceiling(timeout.TotalSeconds));

    /// Background work no request waits for: a migration, the leaderboard's aggregate over every vote.
    internal static readonly TimeSpan BackgroundTimeout = TimeSpan.FromMinutes(10);

    public static void AddVotesPersistence(this IHostApplicationBuilder builder)
    {
        builder.Services.AddDbContextPool<VotesDbContext>((services, options) =>
        {
            var configuration = services.GetRequiredService<IConfiguration>();
            var connectionString = configuration.GetConnectionString("Votes") ?? configuration.GetConnectionString("Arena");
            if (string.IsNullOrWhiteSpace(connectionString))
            {
                throw new InvalidOperationException("ConnectionStrings:Arena is not set. Run ./scripts/run.sh, or set ConnectionStrings__Arena to a PostgreSQL connection string.");
            }

            Configure(options, ForRequests(connectionString, configuration));
        });
        builder.Services.AddHealthChecks().AddDbContextCheck<VotesDbContext>("votes-db", tags: ["ready"]);
        builder.Services.AddHostedService<VotesMigrator>();
    }
}

internal sealed class VotesMigrator(IServiceScopeFactory scopes, IConfiguration configuration, ILogger<VotesMigrator> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!configuration.GetValue("Arena:Database:MigrateOnStartup", true))
        {
            return;
        }

        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<VotesDbContext>();
        db.Database.SetCommandTimeout(VotesPersistence.BackgroundTimeout);
        // The database may still be starting, or too busy to finish a handshake within the request path's connect timeout
        // (a parallel test run on two cores was): giving up the start at once leaves to a supervisor what seconds settle.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await db.Database.MigrateAsync(cancellationToken);
                break;
            }
            catch (NpgsqlException exception) when (exception.IsTransient && attempt < 5)
            {
                logger.LogWarning("The {Schema} migration could not reach the database ({Reason}); trying again", "votes", exception.Message);
                await Task.Delay(TimeSpan.FromSeconds(attempt), cancellationToken);
            }
        }
        logger.LogInformation("Votes schema is up to date");
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
