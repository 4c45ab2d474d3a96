using Arena.Tests.Support;
using Npgsql;

namespace Arena.Tests.Host;

public sealed class DatabaseMigrationTests(ArenaApp app) : IClassFixture<ArenaApp>
{
    [Fact]
    public async Task Startup_EmptyDatabase_EachModuleMigratesItsOwnSchema()
    {
        await using var connection = new NpgsqlConnection(app.ConnectionString);
        await connection.OpenAsync();

        var tables = new List<string>();
        await using (var command = new NpgsqlCommand(
            "select table_schema || '.' || table_name from information_schema.tables where table_schema not in ('pg_catalog', 'information_schema', 'public') order by 1",
            connection))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                tables.Add(reader.GetString(0));
            }
        }

        Assert.Contains("sessions.sessions", tables);
        Assert.Contains("sessions.__ef_migrations_history", tables);
        Assert.DoesNotContain(tables, t => t.StartsWith("public.", StringComparison.Ordinal));
    }
}
