using Npgsql;
using Testcontainers.PostgreSql;

namespace Arena.Tests.Support;

/// The one PostgreSQL server of a test run: the one scripts/test.sh prepared (ARENA_TEST_POSTGRES),
/// else a Testcontainers container where a Docker engine answers. Every app fixture gets a fresh database on it.
internal static class PostgresServer
{
    private static readonly Lazy<Task<string>> AdminConnectionString = new(StartAsync);

    public static async Task<string> CreateDatabaseAsync()
    {
        var admin = await AdminConnectionString.Value;
        var name = $"arena_test_{Guid.NewGuid():N}";
        await using var connection = new NpgsqlConnection(admin);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await command.ExecuteNonQueryAsync();
        return new NpgsqlConnectionStringBuilder(admin) { Database = name, Pooling = true }.ConnectionString;
    }

    public static async Task DropDatabaseAsync(string connectionString)
    {
        var admin = await AdminConnectionString.Value;
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database;
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(admin);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", connection);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await command.ExecuteNonQueryAsync();
                return;
            }
            catch (PostgresException exception) when (exception.SqlState is PostgresErrorCodes.ObjectInUse or PostgresErrorCodes.InsufficientPrivilege && attempt < 10)
            {
                // FORCE ends the sessions it finds; one a disposed Host's background work opened just after can still
                // be caught between the two. The next attempt ends that one too; on two busy cores that can take a while.
                // An autovacuum worker it may not end at all (it runs as the bootstrap superuser: 42501), but it is soon done.
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt));
            }
            catch (PostgresException exception)
            {
                // A class cleanup's report names only the exception's type: a full run once failed there with a
                // PostgresException and nothing else to go on.
                throw new InvalidOperationException($"Dropping {name} failed after {attempt} attempts: {exception.SqlState} {exception.MessageText}", exception);
            }
        }
    }

    private static async Task<string> StartAsync()
    {
        var configured = Environment.GetEnvironmentVariable("ARENA_TEST_POSTGRES");
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return configured;
        }

        try
        {
            var container = new PostgreSqlBuilder("postgres:17-alpine").Build();
            await container.StartAsync();
            return new NpgsqlConnectionStringBuilder(container.GetConnectionString()) { Database = "postgres" }.ConnectionString;
        }
        catch (Exception exception)
        {
            throw new InvalidOperationException(
                "No PostgreSQL for the tests: run ./scripts/test.sh (it installs and starts one), set ARENA_TEST_POSTGRES " +
                "to an admin connection string, or start a Docker engine for Testcontainers. (" + exception.GetType().Name + ")");
        }
    }
}
