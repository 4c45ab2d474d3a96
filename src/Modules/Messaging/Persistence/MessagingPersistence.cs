using Arena.BuildingBlocks.Database;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace Arena.Modules.Messaging.Persistence;

internal static class MessagingPersistence
{
    public static void AddMessagingPersistence(this IHostApplicationBuilder builder)
    {
        builder.AddModuleDatabase<MessagingDbContext>("Messaging", MessagingDbContext.Schema);
        builder.Services.AddSingleton(services => new MessageRows(services.GetRequiredKeyedService<NpgsqlDataSource>(MessagingDbContext.Schema)));
        builder.Services.AddSingleton<BackgroundSaves>();
        builder.Services.AddSingleton<FinalWrites>();
        builder.Services.AddSingleton<StreamHostLease>();
        // Registered after the migration, in this order: the schema exists before the lease's heartbeat first touches it.
        builder.Services.AddHostedService<MessagingStartup>();
        builder.Services.AddHostedService(services => services.GetRequiredService<StreamHostLease>());
        builder.Services.AddHostedService(services => services.GetRequiredService<BackgroundSaves>());
    }
}

/// Takes this process's stream lease and interrupts the replies that dead processes left in <c>streaming</c>, which also
/// releases the one-stream-per-session guard for them, before the first request.
internal sealed class MessagingStartup(StreamHostLease lease) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => lease.RenewAndSweepAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
