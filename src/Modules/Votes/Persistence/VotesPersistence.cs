using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Arena.Modules.Votes.Persistence;

internal static class VotesPersistence
{
    public static DbContextOptionsBuilder Configure(DbContextOptionsBuilder options, string connectionString)
    {
        options.UseNpgsql(connectionString, npgsql => npgsql.MigrationsHistoryTable("__ef_migrations_history", VotesDbContext.Schema))
            .UseSnakeCaseNamingConvention();
        return options;
    }

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

            Configure(options, connectionString);
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
        await db.Database.MigrateAsync(cancellationToken);
        logger.LogInformation("Votes schema is up to date");
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
