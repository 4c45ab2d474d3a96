using Npgsql;

namespace Arena.Bench;

/// Cumulative activity of one database from pg_stat_database.
internal readonly record struct DatabaseCounters(long Commits, long Rollbacks, long Inserted, long Updated, long Deleted, long Returned)
{
    public static DatabaseCounters operator -(DatabaseCounters after, DatabaseCounters before) => new(
        after.Commits - before.Commits, after.Rollbacks - before.Rollbacks, after.Inserted - before.Inserted,
        after.Updated - before.Updated, after.Deleted - before.Deleted, after.Returned - before.Returned);
}

/// The harness's own database: created fresh for the run, read through the statistics views only, never reconfigured.
internal sealed class BenchDatabase(string adminConnectionString, string name)
{
    public string Name { get; } = name;

    /// What Arena gets: the pool size the scripts use.
    public string AppConnectionString => new NpgsqlConnectionStringBuilder(adminConnectionString) { Database = Name, MaxPoolSize = 40 }.ConnectionString;

    public async Task RecreateAsync()
    {
        await DropAsync();
        await ExecuteAsync($"CREATE DATABASE {Name}");
    }

    /// FORCE ends the database's sessions, but not an autovacuum worker's: it runs as the bootstrap superuser, which this
    /// role may not signal (42501). On a database this small the worker is done within moments, so the drop tries again.
    public async Task DropAsync()
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await ExecuteAsync($"DROP DATABASE IF EXISTS {Name} WITH (FORCE)");
                return;
            }
            catch (PostgresException exception) when (exception.SqlState == PostgresErrorCodes.InsufficientPrivilege && attempt < 40)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250));
            }
        }
    }

    /// Backends write their statistics when they exit or go idle; call this with Arena stopped and its backends gone.
    public async Task<DatabaseCounters> CountersAsync()
    {
        await using var connection = await OpenAsync();
        for (var attempt = 0; attempt < 100; attempt++)
        {
            await using var backends = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE datname = @name", connection);
            backends.Parameters.AddWithValue("name", Name);
            if ((long)(await backends.ExecuteScalarAsync())! == 0)
            {
                break;
            }

            await Task.Delay(50);
        }

        await using var command = new NpgsqlCommand(
            "SELECT xact_commit, xact_rollback, tup_inserted, tup_updated, tup_deleted, tup_returned FROM pg_stat_database WHERE datname = @name", connection);
        command.Parameters.AddWithValue("name", Name);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return new DatabaseCounters(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5));
    }

    /// The backends serving the bench database now, for PostgreSQL CPU spent on Arena's behalf alone.
    public async Task<HashSet<int>> BackendPidsAsync()
    {
        await using var connection = await OpenAsync();
        await using var command = new NpgsqlCommand("SELECT pid FROM pg_stat_activity WHERE datname = @name", connection);
        command.Parameters.AddWithValue("name", Name);
        await using var reader = await command.ExecuteReaderAsync();
        var pids = new HashSet<int>();
        while (await reader.ReadAsync())
        {
            pids.Add(reader.GetInt32(0));
        }

        return pids;
    }

    /// The user messages of these sessions in the order they were stored, each with its replies by participant
    /// (lowercase letter), and the number of replies in them whatever their parent.
    public async Task<(Dictionary<Guid, List<StoredTurn>> Turns, long Replies)> StoredTurnsAsync(IReadOnlyList<Guid> sessions)
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(adminConnectionString) { Database = Name, Pooling = false }.ConnectionString);
        await using (connection)
        {
            await connection.OpenAsync();
            var turns = sessions.ToDictionary(session => session, _ => new List<StoredTurn>());
            await using (var command = new NpgsqlCommand(
                "SELECT u.session_id, u.id, a.participant, a.status, a.content FROM messaging.messages u " +
                "LEFT JOIN messaging.messages a ON a.parent_id = u.id AND a.role = 'assistant' " +
                "WHERE u.role = 'user' AND u.session_id = ANY(@sessions) ORDER BY u.session_id, u.created_at, u.id", connection))
            {
                command.Parameters.AddWithValue("sessions", sessions.ToArray());
                await using var reader = await command.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                {
                    var list = turns[reader.GetGuid(0)];
                    var id = reader.GetGuid(1);
                    if (list.Count == 0 || list[^1].UserMessage != id)
                    {
                        list.Add(new StoredTurn(id, []));
                    }

                    if (!reader.IsDBNull(2))
                    {
                        list[^1].Replies[reader.GetString(2)[0]] = new StoredReply(reader.GetString(3), reader.GetString(4));
                    }
                }
            }

            await using var replies = new NpgsqlCommand("SELECT count(*) FROM messaging.messages WHERE role = 'assistant' AND session_id = ANY(@sessions)", connection);
            replies.Parameters.AddWithValue("sessions", sessions.ToArray());
            return (turns, (long)(await replies.ExecuteScalarAsync())!);
        }
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = await OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private async Task<NpgsqlConnection> OpenAsync()
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(adminConnectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }
}

internal sealed record StoredTurn(Guid UserMessage, Dictionary<char, StoredReply> Replies);

internal sealed record StoredReply(string Status, string Content);
