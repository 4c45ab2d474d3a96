using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Arena.Modules.Sessions.Persistence;

internal static class SessionsPersistence
{
    public static DbContextOptionsBuilder Configure(DbContextOptionsBuilder options, string connectionString)
    {
        options.UseNpgsql(connectionString, npgsql => npgsql.MigrationsHistoryTable("__ef_migrations_history", SessionsDbContext.Schema))
            .UseSnakeCaseNamingConvention();
        return options;
    }

    public static void AddSessionsPersistence(this IHostApplicationBuilder builder)
    {
        builder.Services.AddDbContextPool<SessionsDbContext>((services, options) =>
        {
            var configuration = services.GetRequiredService<IConfiguration>();
            var connectionString = configuration.GetConnectionString("Sessions") ?? configuration.GetConnectionString("Arena");
            if (string.IsNullOrWhiteSpace(connectionString))
            {
                throw new InvalidOperationException("ConnectionStrings:Arena is not set. Run ./scripts/run.sh, or set ConnectionStrings__Arena to a PostgreSQL connection string.");
            }

            Configure(options, connectionString);
        });
        builder.Services.AddHealthChecks().AddDbContextCheck<SessionsDbContext>("sessions-db", tags: ["ready"]);
        builder.Services.AddHostedService<SessionsMigrator>();
    }
}

internal sealed class SessionsMigrator(IServiceScopeFactory scopes, IConfiguration configuration, ILogger<SessionsMigrator> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!configuration.GetValue("Arena:Database:MigrateOnStartup", true))
        {
            return;
        }

        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SessionsDbContext>();
        await db.Database.MigrateAsync(cancellationToken);
        logger.LogInformation("Sessions schema is up to date");
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
