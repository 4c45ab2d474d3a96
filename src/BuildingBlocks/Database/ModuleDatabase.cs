using Arena.BuildingBlocks.Settings;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Arena.BuildingBlocks.Database;

/// A module's database: its own schema, migrations and pool in the one physical database, under
/// <see cref="DatabaseOptions"/>.
public static class ModuleDatabase
{
    /// For work no request waits for (a migration, the leaderboard's aggregate over every vote): such work may rewrite or
    /// read a whole table, which the request path's command timeout is far too short for.
    public static readonly TimeSpan BackgroundTimeout = TimeSpan.FromMinutes(10);

    /// Npgsql counts timeouts in whole seconds, and 0 means none at all: a fraction of a second rounds up.
    public static int Seconds(TimeSpan timeout) => Math.Max(1, (int)Math.Ceiling(timeout.TotalSeconds));

    /// For a design-time factory: `dotnet ef` needs the provider and the schema to build the model, and connects nowhere.
    public static DbContextOptions<TContext> DesignTimeOptions<TContext>(string schema)
        where TContext : DbContext =>
        (DbContextOptions<TContext>)UseModuleSchema(new DbContextOptionsBuilder<TContext>(), NpgsqlDataSource.Create("Host=localhost;Database=arena_design"), schema).Options;

    /// Registers, for the module whose connection string is <c>ConnectionStrings:&lt;name&gt;</c> (else
    /// <c>ConnectionStrings:Arena</c>) and whose schema is <paramref name="schema"/>: a data source keyed by the schema,
    /// a pooled factory of <typeparamref name="TContext"/> and one context per scope, its readiness check, and its
    /// migration at start-up.
    public static void AddModuleDatabase<TContext>(this IHostApplicationBuilder builder, string name, string schema)
        where TContext : DbContext
    {
        var services = builder.Services;
        services.AddSettings<DatabaseOptions, DatabaseOptionsValidator>(DatabaseOptions.Section);
        // One pool for EF and the module's plain statements, so that the pool cap holds for both.
        services.AddKeyedSingleton(schema, (provider, _) =>
        {
            var configuration = provider.GetRequiredService<IConfiguration>();
            var connectionString = configuration.GetConnectionString(name) ?? configuration.GetConnectionString("Arena");
            if (string.IsNullOrWhiteSpace(connectionString))
            {
                throw new InvalidOperationException($"ConnectionStrings:Arena (or ConnectionStrings:{name}) is not set. Run ./scripts/run.sh, or set ConnectionStrings__Arena to a PostgreSQL connection string.");
            }

            return new NpgsqlDataSourceBuilder(ForRequests(connectionString, provider.GetRequiredService<IOptions<DatabaseOptions>>().Value)) { Name = schema }.Build();
        });
        // A factory, so that concurrent work (the participants of one compare stream) takes contexts of its own; a request
        // or handler scope gets one from the same pool.
        services.AddPooledDbContextFactory<TContext>((provider, options) =>
            UseModuleSchema(options, provider.GetRequiredKeyedService<NpgsqlDataSource>(schema), schema));
        services.AddScoped(provider => provider.GetRequiredService<IDbContextFactory<TContext>>().CreateDbContext());
        services.AddHealthChecks().AddDbContextCheck<TContext>($"{schema}-db", tags: ["ready"]);
        services.AddHostedService(provider => ActivatorUtilities.CreateInstance<ModuleMigrator<TContext>>(provider, schema));
    }

    /// The module's tables, and its migrations history, live in its own schema.
    private static DbContextOptionsBuilder UseModuleSchema(DbContextOptionsBuilder options, NpgsqlDataSource dataSource, string schema) =>
        options.UseNpgsql(dataSource, npgsql => npgsql.MigrationsHistoryTable("__ef_migrations_history", schema))
            .UseSnakeCaseNamingConvention();

    private static string ForRequests(string connectionString, DatabaseOptions settings)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString)
        {
            Timeout = Seconds(settings.ConnectTimeout),
            CommandTimeout = Seconds(settings.CommandTimeout),
            // A server that let a command time out will not answer its cancel request either: drop the connection at once.
            CancellationTimeout = -1,
            // No statement leaves state on a session (no SET, no temporary table; LISTEN holds a connection of its own), so
            // the DISCARD ALL that Npgsql sends on the next use of a pooled connection is a round trip for nothing.
            NoResetOnClose = true,
        };
        // Each connection prepares the statements it runs most, so they skip parsing and planning; a connection string
        // that sets its own count keeps it.
        if (builder.MaxAutoPrepare <= 0)
        {
            builder.MaxAutoPrepare = 64;
        }

        return builder.ConnectionString;
    }
}
