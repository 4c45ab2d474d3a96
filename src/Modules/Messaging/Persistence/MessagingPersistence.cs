using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Arena.Modules.Messaging.Persistence;

internal static class MessagingPersistence
{
    public static DbContextOptionsBuilder Configure(DbContextOptionsBuilder options, NpgsqlDataSource dataSource)
    {
        options.UseNpgsql(dataSource, npgsql => npgsql.MigrationsHistoryTable("__ef_migrations_history", MessagingDbContext.Schema))
            .UseSnakeCaseNamingConvention();
        return options;
    }

    /// A request waits on the database for seconds, not Npgsql's 15 s to connect and 30 s per command: an unreachable or
    /// hung database then answers 503 before any stream starts. Migrations and the final writes set their own timeouts.
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

    public static void AddMessagingPersistence(this IHostApplicationBuilder builder)
    {
        // A factory, not a scoped context: the participants of one compare stream write concurrently.
        // One pool for EF and the plain statements of the hot path (MessageRows), so that the pool cap holds for both.
        builder.Services.AddKeyedSingleton(MessagingDbContext.Schema, (services, _) =>
        {
            var configuration = services.GetRequiredService<IConfiguration>();
            var connectionString = configuration.GetConnectionString("Messaging") ?? configuration.GetConnectionString("Arena");
            if (string.IsNullOrWhiteSpace(connectionString))
            {
                throw new InvalidOperationException("ConnectionStrings:Arena is not set. Run ./scripts/run.sh, or set ConnectionStrings__Arena to a PostgreSQL connection string.");
            }

            return new NpgsqlDataSourceBuilder(ForRequests(connectionString, configuration)) { Name = "messaging" }.Build();
        });
        builder.Services.AddPooledDbContextFactory<MessagingDbContext>((services, options) =>
            Configure(options, services.GetRequiredKeyedService<NpgsqlDataSource>(MessagingDbContext.Schema)));
        builder.Services.AddSingleton(services => new MessageRows(services.GetRequiredKeyedService<NpgsqlDataSource>(MessagingDbContext.Schema)));
        builder.Services.AddSingleton<BackgroundSaves>();
        builder.Services.AddSingleton<FinalWrites>();
        builder.Services.AddScoped(services => services.GetRequiredService<IDbContextFactory<MessagingDbContext>>().CreateDbContext());
        builder.Services.AddHealthChecks().AddDbContextCheck<MessagingDbContext>("messaging-db", tags: ["ready"]);
        builder.Services.AddSingleton<StreamHostLease>();
        // Registered in this order: the schema exists before the lease's heartbeat first touches it.
        builder.Services.AddHostedService<MessagingStartup>();
        builder.Services.AddHostedService(services => services.GetRequiredService<StreamHostLease>());
        builder.Services.AddHostedService(services => services.GetRequiredService<BackgroundSaves>());
    }
}

/// Brings the schema up to date before the first request, then takes this process's stream lease and interrupts the
/// replies that dead processes left in <c>streaming</c>, which also releases the one-stream-per-session guard for them.
internal sealed class MessagingStartup(IDbContextFactory<MessagingDbContext> contexts, StreamHostLease lease, IConfiguration configuration, ILogger<MessagingStartup> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (configuration.GetValue("Arena:Database:MigrateOnStartup", true))
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            // A migration may rewrite a large table; the request path's command timeout is far too short for that.
            db.Database.SetCommandTimeout(TimeSpan.FromMinutes(10));
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
                    logger.LogWarning("The {Schema} migration could not reach the database ({Reason}); trying again", "messaging", exception.Message);
                    await Task.Delay(TimeSpan.FromSeconds(attempt), cancellationToken);
                }
            }
            logger.LogInformation("Messaging schema is up to date");
        }

        await lease.RenewAndSweepAsync(cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
