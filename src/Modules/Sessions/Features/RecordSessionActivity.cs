using Arena.Modules.Sessions.Contracts;
using Arena.Modules.Sessions.Domain;
using Arena.Modules.Sessions.Persistence;
using Mediator;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Arena.Modules.Sessions.Features;

/// Runs before every turn, so the lookup and the move are one statement: one round trip instead of a query and an update.
internal sealed class RecordSessionActivityHandler(SessionsDbContext db, TimeProvider clock) : ICommandHandler<RecordSessionActivity, SessionInfo?>
{
    // Only forward: instances whose clocks differ slightly must not move a session back in the list.
    private const string Sql =
        "UPDATE sessions.sessions SET updated_at = greatest(updated_at, $3) WHERE id = $1 AND owner_id = $2 " +
        "RETURNING mode, model_a, model_b, revealed_at";

    public async ValueTask<SessionInfo?> Handle(RecordSessionActivity command, CancellationToken cancellationToken)
    {
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var update = new NpgsqlCommand(Sql, (NpgsqlConnection)db.Database.GetDbConnection());
            update.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = command.SessionId });
            update.Parameters.Add(new NpgsqlParameter<string> { TypedValue = command.OwnerId });
            update.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = clock.GetUtcNow().TruncateToMicroseconds() });
            await using var reader = await update.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                return null;
            }

            var mode = Enum.Parse<SessionMode>(reader.GetString(0), ignoreCase: true);
            return new SessionInfo(
                command.SessionId,
                mode == SessionMode.Direct ? SessionKind.Direct : SessionKind.Compare,
                reader.GetString(1),
                reader.IsDBNull(2) ? null : reader.GetString(2),
                mode == SessionMode.Battle,
                reader.IsDBNull(3) ? null : reader.GetFieldValue<DateTimeOffset>(3));
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }
}
