using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Arena.BuildingBlocks.Database;

/// Brings a module's schema up to date before the first request; the module's hosted services registered after it
/// start once it has.
internal sealed class ModuleMigrator<TContext>(string schema, IServiceScopeFactory scopes, IOptions<DatabaseOptions> options, ILogger<ModuleMigrator<TContext>> logger) : IHostedService
    where TContext : DbContext
{
    private const int Attempts = 5;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!options.Value.MigrateOnStartup)
        {
            return;
        }

        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TContext>();
        db.Database.SetCommandTimeout(ModuleDatabase.BackgroundTimeout);
        // The database may still be starting, or too busy to finish a handshake within the request path's connect timeout
        // (a parallel test run on two cores was): giving up the start at once leaves to a supervisor what seconds settle.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await db.Database.MigrateAsync(cancellationToken);
                break;
            }
            catch (NpgsqlException exception) when (exception.IsTransient && attempt < Attempts)
            {
                logger.LogWarning("The {Schema} migration could not reach the database ({Reason}); trying again", schema, exception.Message);
                await Task.Delay(TimeSpan.FromSeconds(attempt), cancellationToken);
            }
        }

        logger.LogInformation("The {Schema} schema is up to date", schema);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
