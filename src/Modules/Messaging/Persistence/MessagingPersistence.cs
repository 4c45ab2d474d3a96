using Arena.Modules.Messaging.Domain;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Arena.Modules.Messaging.Persistence;

internal static class MessagingPersistence
{
    public static DbContextOptionsBuilder Configure(DbContextOptionsBuilder options, string connectionString)
    {
        options.UseNpgsql(connectionString, npgsql => npgsql.MigrationsHistoryTable("__ef_migrations_history", MessagingDbContext.Schema))
            .UseSnakeCaseNamingConvention();
        return options;
    }

    public static void AddMessagingPersistence(this IHostApplicationBuilder builder)
    {
        // A factory, not a scoped context: the participants of one compare stream write concurrently.
        builder.Services.AddPooledDbContextFactory<MessagingDbContext>((services, options) =>
        {
            var configuration = services.GetRequiredService<IConfiguration>();
            var connectionString = configuration.GetConnectionString("Messaging") ?? configuration.GetConnectionString("Arena");
            if (string.IsNullOrWhiteSpace(connectionString))
            {
                throw new InvalidOperationException("ConnectionStrings:Arena is not set. Run ./scripts/run.sh, or set ConnectionStrings__Arena to a PostgreSQL connection string.");
            }

            Configure(options, connectionString);
        });
        builder.Services.AddScoped(services => services.GetRequiredService<IDbContextFactory<MessagingDbContext>>().CreateDbContext());
        builder.Services.AddHealthChecks().AddDbContextCheck<MessagingDbContext>("messaging-db", tags: ["ready"]);
        builder.Services.AddHostedService<MessagingStartup>();
    }
}

/// Brings the schema up to date, then marks replies that a dead process left in <c>streaming</c> as <c>interrupted</c>
/// (keeping their last flushed content), which also releases the one-stream-per-session guard for their sessions.
internal sealed class MessagingStartup(IDbContextFactory<MessagingDbContext> contexts, IConfiguration configuration, TimeProvider clock, ILogger<MessagingStartup> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (configuration.GetValue("Arena:Database:MigrateOnStartup", true))
        {
            await db.Database.MigrateAsync(cancellationToken);
            logger.LogInformation("Messaging schema is up to date");
        }

        var now = clock.GetUtcNow();
        var interrupted = await db.Messages.Where(m => m.Status == MessageStatus.Streaming)
            .ExecuteUpdateAsync(set => set.SetProperty(m => m.Status, MessageStatus.Interrupted).SetProperty(m => m.UpdatedAt, now), cancellationToken);
        if (interrupted > 0)
        {
            logger.LogWarning("Marked {Count} replies left streaming by a previous process as interrupted", interrupted);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
