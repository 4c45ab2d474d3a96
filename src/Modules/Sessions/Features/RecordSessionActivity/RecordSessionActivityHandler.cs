using Arena.Modules.Sessions.Contracts;
using Arena.Modules.Sessions.Domain;
using Arena.Modules.Sessions.Persistence;
using Mediator;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Arena.Modules.Sessions.Features;

/// Runs before every turn. A session <see cref="SessionActivity"/> remembers costs no round trip: its move is queued. Otherwise
/// the lookup and the move are one statement. The move commits without waiting for the WAL to reach the disk: it only
/// orders the session list, and a crash that loses the last fraction of a second of it costs nothing, while the wait for
/// the flush would sit before every stream's first event.
internal sealed class RecordSessionActivityHandler([FromKeyedServices(SessionsDbContext.Schema)] NpgsqlDataSource database, SessionActivity activity, TimeProvider clock) : ICommandHandler<RecordSessionActivity, SessionInfo?>
{
    // Only forward: instances whose clocks differ slightly must not move a session back in the list.
    private const string Sql =
        "UPDATE sessions.sessions SET updated_at = greatest(updated_at, $3) WHERE id = $1 AND owner_id = $2 " +
        "RETURNING mode, model_a, model_b, model_c, model_d, revealed_at";

    // Local to the batch's implicit transaction.
    public const string WithoutFlushWaitSql = "SELECT set_config('synchronous_commit', 'off', true)";

    public async ValueTask<SessionInfo?> Handle(RecordSessionActivity command, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().TruncateToMicroseconds();
        if (activity.TryRecall(command.SessionId, command.OwnerId, out var known))
        {
            activity.Queue(command.SessionId, command.OwnerId, now);
            return known;
        }

        await using var batch = database.CreateBatch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand(WithoutFlushWaitSql));
        var update = new NpgsqlBatchCommand(Sql);
        update.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = command.SessionId });
        update.Parameters.Add(new NpgsqlParameter<string> { TypedValue = command.OwnerId });
        update.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now });
        batch.BatchCommands.Add(update);
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        await reader.NextResultAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        var mode = Enum.Parse<SessionMode>(reader.GetString(0), ignoreCase: true);
        string? Optional(int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
        var session = ChatSession.InfoOf(
            command.SessionId,
            Enum.Parse<SessionMode>(reader.GetString(0), ignoreCase: true),
            ChatSession.ModelsOf(reader.GetString(1), Optional(2), Optional(3), Optional(4)),
            reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5));
        activity.Remember(session, command.OwnerId);
        return session;
    }
}
