using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Arena.Modules.Sessions.Persistence;

internal static class SessionsPersistence
{
    public static DbContextOptionsBuilder Configure(DbContextOptionsBuilder options, NpgsqlDataSource dataSource)
    {
        options.UseNpgsql(dataSource, npgsql => npgsql.MigrationsHistoryTable("__ef_migrations_history", SessionsDbContext.Schema))
            .UseSnakeCaseNamingConvention();
        return options;
    }

    /// A request waits on the database for seconds, not Npgsql's 15 s to connect and 30 s per command: an unreachable or
    /// hung database then answers 503 while the client is still there. Migrations set their own, longer timeout.
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

    private static int Seconds(TimeSpan timeout) => Math.Max(1, (int)Math.Ceiling(timeout.TotalSeconds));

    public static void AddSessionsPersistence(this IHostApplicationBuilder builder)
    {
        // One pool for EF and the plain statements run before every turn, so that the pool cap holds for both. Those take
        // the data source, not a context: a context injected into the turn's handler stayed leased for the whole stream,
        // and past the context pool's 1,024 every stream built a context of its own.
        builder.Services.AddKeyedSingleton(SessionsDbContext.Schema, (services, _) =>
        {
            var configuration = services.GetRequiredService<IConfiguration>();
            var connectionString = configuration.GetConnectionString("Sessions") ?? configuration.GetConnectionString("Arena");
            if (string.IsNullOrWhiteSpace(connectionString))
            {
                throw new InvalidOperationException("ConnectionStrings:Arena is not set. Run ./scripts/run.sh, or set ConnectionStrings__Arena to a PostgreSQL connection string.");
            }

            return new NpgsqlDataSourceBuilder(ForRequests(connectionString, configuration)) { Name = "sessions" }.Build();
        });
        builder.Services.AddDbContextPool<SessionsDbContext>((services, options) =>
            Configure(options, services.GetRequiredKeyedService<NpgsqlDataSource>(SessionsDbContext.Schema)));
        builder.Services.AddHealthChecks().AddDbContextCheck<SessionsDbContext>("sessions-db", tags: ["ready"]);
        builder.Services.AddHostedService<SessionsMigrator>();
    }
}

internal sealed class SessionsMigrator(IServiceScopeFactory scopes, IConfiguration configuration, ILogger<SessionsMigrator> logger) : IHostedService
{
    // A migration may rewrite a large table; the request path's command timeout is far too short for that.
    private static readonly TimeSpan MigrationTimeout = TimeSpan.FromMinutes(10);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!configuration.GetValue("Arena:Database:MigrateOnStartup", true))
        {
            return;
        }

        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SessionsDbContext>();
        db.Database.SetCommandTimeout(MigrationTimeout);
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
                logger.LogWarning("The {Schema} migration could not reach the database ({Reason}); trying again", "sessions", exception.Message);
                await Task.Delay(TimeSpan.FromSeconds(attempt), cancellationToken);
            }
        }
        logger.LogInformation("Sessions schema is up to date");
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
