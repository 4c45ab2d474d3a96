using Arena.Modules.Messaging.Domain;
using Npgsql;
using NpgsqlTypes;

namespace Arena.Modules.Messaging.Persistence;

/// The hot statements of a stream as plain parameterised SQL: no expression trees, no change tracking, and fixed texts
/// that Npgsql's automatic preparation (<c>Max Auto Prepare</c>) can keep prepared. Each is one round trip and, outside
/// a transaction of its own, one commit.
internal sealed class MessageRows(NpgsqlDataSource database)
{
    internal sealed record HistoryEntry(MessageRole Role, Participant? Participant, string Content, DateTimeOffset CreatedAt);

    internal sealed record Placeholder(Guid Id, Participant Participant, string Model);

    /// The sender and their limits: running turns at once, and turns started per minute; unchecked here when not
    /// <paramref name="Enforced"/>.
    internal sealed record OwnerLimits(string OwnerId, int RunningTurns, int RequestsPerMinute, bool Enforced);

    internal enum TurnRefusal
    {
        None,
        SessionBusy,
        TooManyRunning,
        TooManyRecent,

        /// The session was deleted: an instance that still remembered it admitted the request.
        SessionDeleted,

        /// The session already holds a turn started with the request's idempotency key (<see cref="TurnStart.Repeat"/>).
        Repeated,
    }

    /// A start's idempotency key and the fingerprint of what it asked for.
    internal sealed record StartKey(string Key, string RequestHash);

    /// The turn an idempotency key already started: whether it asked for the same, and whether it is the session's last turn.
    internal sealed record RepeatedStart(bool SameRequest, bool IsLatest);

    /// The history when the turn started; otherwise why not, and for a limit how long until a retry can succeed.
    internal sealed record TurnStart(List<HistoryEntry>? History, TurnRefusal Refusal, TimeSpan RetryAfter, RepeatedStart? Repeat = null);

    // The history is read before the insert in the same batch, so the new turn's rows never show up in it.
    private const string HistorySql =
        "SELECT role, participant, content, created_at FROM messaging.messages " +
        "WHERE session_id = $1 AND (role = 'user' OR status = 'success') ORDER BY created_at, role = 'assistant'";

    // One statement for the user message and every placeholder: unnest keeps the text the same for one or two replies.
    // Nothing is inserted for a deleted session, nor for a start whose idempotency key ($10) the session already holds;
    // the session lock taken before it orders this check against the delete.
    private const string StartSql =
        "WITH allowed AS (SELECT " + NotDeletedSql + " AND " + KeyUnusedSql + " AS ok) " + InsertTurnSql;

    // The same, but nothing is inserted either when the sender is at a per-user limit; the owner lock below makes count
    // and insert one step.
    private const string LimitedStartSql =
        "WITH allowed AS (SELECT " + NotDeletedSql + " AND " + KeyUnusedSql + " AND " + RunningTurnsSql + " < $12 AND " + RecentRequestsSql + " < $13 AS ok) " + InsertTurnSql;

    private const string InsertTurnSql =
        "INSERT INTO messaging.messages (id, session_id, role, content, parent_id, model, participant, status, stream_host_id, created_at, updated_at, owner_id, idempotency_key, request_hash) " +
        "SELECT $1, $2, 'user', $3, NULL, NULL, NULL, 'success', NULL, $4, $4, $9, $10, $11 FROM allowed WHERE ok " +
        "UNION ALL SELECT p.id, $2, 'assistant', '', $1, p.model, p.participant, 'streaming', $5, $4, $4, $9, NULL, NULL " +
        "FROM unnest($6::uuid[], $7::text[], $8::text[]) AS p(id, model, participant) CROSS JOIN allowed WHERE ok";

    // Without a key ($10 null) nothing matches.
    private const string KeyUnusedSql = "NOT EXISTS (SELECT 1 FROM messaging.messages WHERE session_id = $2 AND idempotency_key = $10)";

    // The turn a key started, if the session holds one: what its start was asked, and whether it is still the session's last.
    private const string RepeatSql =
        "SELECT m.request_hash, m.id = (SELECT id FROM messaging.messages WHERE session_id = $1 AND role = 'user' ORDER BY created_at DESC LIMIT 1) " +
        "FROM messaging.messages m WHERE m.session_id = $1 AND m.idempotency_key = $2";

    // The sender's running turns (each has a participant a) and requests in the minute before $4.
    private const string RunningTurnsSql = "(SELECT count(*) FROM messaging.messages WHERE owner_id = $9 AND status = 'streaming' AND participant = 'a')";
    private const string RecentRequestsSql = "(SELECT count(*) FROM messaging.messages WHERE owner_id = $9 AND role = 'user' AND created_at > $4 - interval '1 minute')";

    private const string NotDeletedSql = "NOT EXISTS (SELECT 1 FROM messaging.deleted_sessions WHERE session_id = $2)";

    // Turn starts of one sender queue here, on every instance, until the batch's implicit transaction ends.
    private const string OwnerLockSql = "SELECT pg_advisory_xact_lock(hashtextextended('messaging.owner:' || $1, 0))";

    // The session's lock: turn starts take it shared, so they never wait for each other (the one-stream index decides
    // between them); a delete and a vote take it exclusively, so a turn's start is wholly before or after either.
    private const string SessionLockKey = "hashtextextended('messaging.session:' || $1::text, 0)";
    private const string SharedSessionLockSql = "SELECT pg_advisory_xact_lock_shared(" + SessionLockKey + ")";
    private const string SessionLockSql = "SELECT pg_advisory_xact_lock(" + SessionLockKey + ")";

    private const string DeletedSql = "SELECT EXISTS (SELECT 1 FROM messaging.deleted_sessions WHERE session_id = $1)";

    private const string MarkDeletedSql = "INSERT INTO messaging.deleted_sessions (session_id, deleted_at) VALUES ($1, $2) ON CONFLICT DO NOTHING";

    private const string DeleteSessionSql = "DELETE FROM messaging.messages WHERE session_id = $1";

    private const string DeleteMessagesSql = "DELETE FROM messaging.messages WHERE id = ANY($1)";

    // What the start statement will decide, read first so that a refusal can say which limit and for how long. A session
    // already streaming is refused for that (409) before any limit, so a request the session refuses never reads as the
    // sender's limit.
    private const string LimitsSql =
        "SELECT (SELECT count(*) FROM messaging.messages WHERE owner_id = $1 AND status = 'streaming' AND participant = 'a'), count(*), min(created_at), " +
        "EXISTS (SELECT 1 FROM messaging.messages WHERE session_id = $3 AND status = 'streaming') " +
        "FROM messaging.messages WHERE owner_id = $1 AND role = 'user' AND created_at > $2 - interval '1 minute'";

    private const string FinishSql =
        "UPDATE messaging.messages SET content = $2, status = $3, metadata = $4, updated_at = $5, reasoning = $6 WHERE id = $1";

    // Only a reply still streaming: a reply that did get its end keeps it.
    private const string FailSql =
        "UPDATE messaging.messages SET status = 'error', metadata = $2, updated_at = $3 WHERE id = $1 AND status = 'streaming'";

    // Only a reply still streaming takes a partial copy, so a late partial can never overwrite a final write.
    private const string PartialsSql =
        "UPDATE messaging.messages AS m SET content = p.content, reasoning = p.reasoning, updated_at = $4 " +
        "FROM unnest($1::uuid[], $2::text[], $3::text[]) AS p(id, content, reasoning) WHERE m.id = p.id AND m.status = 'streaming'";

    private const string PositionsSql = "UPDATE messaging.messages SET stream_positions = $2::json WHERE id = $1";

    internal sealed record StoredReply(Guid Id, Participant Participant, string Model, string Content, string? Reasoning, MessageStatus Status, string? Metadata, Guid? StreamHostId, DateTimeOffset UpdatedAt, string? Positions);

    private const string StreamingSql = "SELECT EXISTS (SELECT 1 FROM messaging.messages WHERE session_id = $1 AND status = 'streaming')";

    // The replies of the session's newest user message: the last turn, ended or not. The session's own condition is what
    // lets the outer read use the session index; parent_id has none, and alone it read the whole table.
    private const string LatestTurnSql =
        "SELECT id, participant, model, content, reasoning, status, metadata, stream_host_id, updated_at, stream_positions FROM messaging.messages " +
        "WHERE session_id = $1 AND parent_id = (SELECT id FROM messaging.messages WHERE session_id = $1 AND role = 'user' ORDER BY created_at DESC LIMIT 1) " +
        "ORDER BY participant";

    /// Loads the session's history and inserts the new turn in one round trip, unless a stream already runs on the
    /// session (the one-stream-per-session index refuses the placeholders) or the sender is at one of their limits
    /// (counted over every instance's rows); then nothing is inserted and the start says why.
    public async Task<TurnStart> StartTurnAsync(Guid sessionId, Guid userMessageId, string content, IReadOnlyList<Placeholder> replies, Guid hostId, DateTimeOffset now, OwnerLimits limits, StartKey? key, CancellationToken cancellationToken)
    {
        await using var batch = database.CreateBatch();
        if (limits.Enforced)
        {
            var ownerLock = new NpgsqlBatchCommand(OwnerLockSql);
            ownerLock.Parameters.Add(new NpgsqlParameter<string> { TypedValue = limits.OwnerId });
            batch.BatchCommands.Add(ownerLock);
        }

        var sessionLock = new NpgsqlBatchCommand(SharedSessionLockSql);
        sessionLock.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = sessionId });
        batch.BatchCommands.Add(sessionLock);

        var deleted = new NpgsqlBatchCommand(DeletedSql);
        deleted.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = sessionId });
        batch.BatchCommands.Add(deleted);

        if (key is not null)
        {
            batch.BatchCommands.Add(Repeat(sessionId, key));
        }

        if (limits.Enforced)
        {
            var counts = new NpgsqlBatchCommand(LimitsSql);
            counts.Parameters.Add(new NpgsqlParameter<string> { TypedValue = limits.OwnerId });
            counts.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now });
            counts.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = sessionId });
            batch.BatchCommands.Add(counts);
        }

        var history = new NpgsqlBatchCommand(HistorySql);
        history.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = sessionId });
        batch.BatchCommands.Add(history);

        var start = new NpgsqlBatchCommand(limits.Enforced ? LimitedStartSql : StartSql);
        start.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = userMessageId });
        start.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = sessionId });
        start.Parameters.Add(new NpgsqlParameter<string> { TypedValue = content });
        start.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now });
        start.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = hostId });
        start.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. replies.Select(r => r.Id)] });
        start.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. replies.Select(r => r.Model)] });
        start.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. replies.Select(r => WireNames.Of(r.Participant))] });
        start.Parameters.Add(new NpgsqlParameter<string> { TypedValue = limits.OwnerId });
        start.Parameters.Add(new NpgsqlParameter<string?> { TypedValue = key?.Key, NpgsqlDbType = NpgsqlDbType.Text });
        start.Parameters.Add(new NpgsqlParameter<string?> { TypedValue = key?.RequestHash, NpgsqlDbType = NpgsqlDbType.Text });
        if (limits.Enforced)
        {
            start.Parameters.Add(new NpgsqlParameter<long> { TypedValue = limits.RunningTurns });
            start.Parameters.Add(new NpgsqlParameter<long> { TypedValue = limits.RequestsPerMinute });
        }

        batch.BatchCommands.Add(start);

        try
        {
            long running = 0, recent = 0;
            var busy = false;
            bool sessionDeleted;
            RepeatedStart? repeat = null;
            DateTimeOffset? oldestRecent = null;
            var entries = new List<HistoryEntry>();
            await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
            {
                if (limits.Enforced)
                {
                    await reader.NextResultAsync(cancellationToken);
                }

                // Past the session lock's result to the deleted mark's.
                await reader.NextResultAsync(cancellationToken);
                await reader.ReadAsync(cancellationToken);
                sessionDeleted = reader.GetBoolean(0);
                await reader.NextResultAsync(cancellationToken);
                if (key is not null)
                {
                    repeat = await ReadRepeatAsync(reader, key, cancellationToken);
                    await reader.NextResultAsync(cancellationToken);
                }

                if (limits.Enforced)
                {
                    await reader.ReadAsync(cancellationToken);
                    (running, recent) = (reader.GetInt64(0), reader.GetInt64(1));
                    oldestRecent = reader.IsDBNull(2) ? null : reader.GetFieldValue<DateTimeOffset>(2);
                    busy = reader.GetBoolean(3);
                    await reader.NextResultAsync(cancellationToken);
                }

                while (await reader.ReadAsync(cancellationToken))
                {
                    entries.Add(new HistoryEntry(
                        reader.GetString(0) == "user" ? MessageRole.User : MessageRole.Assistant,
                        reader.IsDBNull(1) ? null : Enum.Parse<Participant>(reader.GetString(1), ignoreCase: true),
                        reader.GetString(2),
                        reader.GetFieldValue<DateTimeOffset>(3)));
                }

                // The insert's outcome, including a refusal by the unique index, arrives with the next result.
                await reader.NextResultAsync(cancellationToken);
            }

            if (sessionDeleted)
            {
                return new TurnStart(null, TurnRefusal.SessionDeleted, TimeSpan.Zero);
            }

            // Before busy: a retried start arrives while its own turn still runs.
            if (repeat is not null)
            {
                return new TurnStart(null, TurnRefusal.Repeated, TimeSpan.Zero, repeat);
            }

            if (busy)
            {
                return new TurnStart(null, TurnRefusal.SessionBusy, TimeSpan.Zero);
            }

            if (limits.Enforced && running >= limits.RunningTurns)
            {
                return new TurnStart(null, TurnRefusal.TooManyRunning, TimeSpan.FromSeconds(1));
            }

            if (limits.Enforced && recent >= limits.RequestsPerMinute)
            {
                var wait = (oldestRecent ?? now) + TimeSpan.FromMinutes(1) - now;
                return new TurnStart(null, TurnRefusal.TooManyRecent, wait > TimeSpan.FromSeconds(1) ? wait : TimeSpan.FromSeconds(1));
            }

            return new TurnStart(entries, TurnRefusal.None, TimeSpan.Zero);
        }
        catch (PostgresException exception) when (exception is { SqlState: PostgresErrorCodes.UniqueViolation, ConstraintName: Message.OneStreamPerSessionIndex or Message.IdempotencyKeyIndex })
        {
            // Two starts raced: the other one's turn may be this one's own, sent twice at once.
            if (key is not null && await FindRepeatAsync(sessionId, key, cancellationToken) is { } repeat)
            {
                return new TurnStart(null, TurnRefusal.Repeated, TimeSpan.Zero, repeat);
            }

            return new TurnStart(null, TurnRefusal.SessionBusy, TimeSpan.Zero);
        }
    }

    private async Task<RepeatedStart?> FindRepeatAsync(Guid sessionId, StartKey key, CancellationToken cancellationToken)
    {
        await using var batch = database.CreateBatch();
        batch.BatchCommands.Add(Repeat(sessionId, key));
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        return await ReadRepeatAsync(reader, key, cancellationToken);
    }

    private static NpgsqlBatchCommand Repeat(Guid sessionId, StartKey key)
    {
        var command = new NpgsqlBatchCommand(RepeatSql);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = sessionId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = key.Key });
        return command;
    }

    private static async Task<RepeatedStart?> ReadRepeatAsync(NpgsqlDataReader reader, StartKey key, CancellationToken cancellationToken) =>
        await reader.ReadAsync(cancellationToken)
            ? new RepeatedStart(!reader.IsDBNull(0) && reader.GetString(0) == key.RequestHash, reader.GetBoolean(1))
            : null;

    public async Task FinishAsync(FinalWrite end, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(FinishSql);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = end.MessageId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = end.Content });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = WireNames.Of(end.Status) });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = end.Metadata, NpgsqlDbType = NpgsqlDbType.Jsonb });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = end.At });
        command.Parameters.Add(new NpgsqlParameter<string?> { TypedValue = end.Reasoning, NpgsqlDbType = NpgsqlDbType.Text });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task FailAsync(Guid messageId, string metadata, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(FailSql);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = messageId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = metadata, NpgsqlDbType = NpgsqlDbType.Jsonb });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = at });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// The partial content of many replies in one statement and the positions of ended replies, in one round trip that
    /// commits without waiting for the WAL flush: a partial copy is already a snapshot of the recent past, and lost
    /// positions only make a resume from the stored rows start the turn over, which its clients are told to expect; a
    /// crash that loses the last fraction of a second of either changes nothing a client was told.
    /// The positions are one keyed update per reply: a join against unnest was planned as a scan of the whole table
    /// whenever the statistics lagged behind the table's growth.
    public async Task SaveInBackgroundAsync(Guid[] ids, string[] contents, string?[] reasonings, List<(Guid MessageId, string Positions)> positions, DateTimeOffset now, TimeSpan timeout, CancellationToken cancellationToken)
    {
        await using var batch = WithoutFlushWait();
        batch.Timeout = Math.Max(1, (int)Math.Ceiling(timeout.TotalSeconds));
        if (ids.Length > 0)
        {
            var update = new NpgsqlBatchCommand(PartialsSql);
            update.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = ids });
            update.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = contents });
            update.Parameters.Add(new NpgsqlParameter<string?[]> { TypedValue = reasonings, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            update.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now });
            batch.BatchCommands.Add(update);
        }

        foreach (var (messageId, replyPositions) in positions)
        {
            var update = new NpgsqlBatchCommand(PositionsSql);
            update.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = messageId });
            update.Parameters.Add(new NpgsqlParameter<string> { TypedValue = replyPositions });
            batch.BatchCommands.Add(update);
        }

        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    /// Marks the session deleted under its lock: once this returns, no turn of it can start on any instance, and every
    /// turn that did start has its rows in the table (streaming, to be stopped).
    public async Task MarkDeletedAsync(Guid sessionId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var batch = database.CreateBatch();
        var sessionLock = new NpgsqlBatchCommand(SessionLockSql);
        sessionLock.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = sessionId });
        batch.BatchCommands.Add(sessionLock);
        var mark = new NpgsqlBatchCommand(MarkDeletedSql);
        mark.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = sessionId });
        mark.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now });
        batch.BatchCommands.Add(mark);
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task DeleteAsync(Guid[] messageIds, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(DeleteMessagesSql);
        command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = messageIds });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task DeleteSessionAsync(Guid sessionId, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(DeleteSessionSql);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = sessionId });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// Holds the session's lock in a transaction of its own until the hold is disposed: meanwhile no turn of the session
    /// can start (its insert waits), and every turn that started before is in the table.
    public async Task<IAsyncDisposable> HoldTurnStartsAsync(Guid sessionId, CancellationToken cancellationToken)
    {
        var connection = await database.OpenConnectionAsync(cancellationToken);
        try
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await using var command = new NpgsqlCommand(SessionLockSql, connection, transaction);
            command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = sessionId });
            await command.ExecuteNonQueryAsync(cancellationToken);
            return new TurnStartHold(connection, transaction);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// Ends with a rollback: the transaction wrote nothing, and closing it releases the lock either way.
    private sealed class TurnStartHold(NpgsqlConnection connection, NpgsqlTransaction transaction) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await transaction.DisposeAsync();
            await connection.DisposeAsync();
        }
    }

    public async Task<bool> AnyStreamingAsync(Guid sessionId, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(StreamingSql);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = sessionId });
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task<List<StoredReply>> LatestTurnAsync(Guid sessionId, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(LatestTurnSql);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = sessionId });
        var replies = new List<StoredReply>(2);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            replies.Add(new StoredReply(
                reader.GetGuid(0),
                WireNames.ParticipantOf(reader.GetString(1)) ?? Participant.A,
                reader.GetString(2),
                reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetString(4),
                WireNames.StatusOf(reader.GetString(5)),
                reader.IsDBNull(6) ? null : reader.GetString(6),
                reader.IsDBNull(7) ? null : reader.GetGuid(7),
                reader.GetFieldValue<DateTimeOffset>(8),
                reader.IsDBNull(9) ? null : reader.GetString(9)));
        }

        return replies;
    }

    /// A batch whose implicit transaction commits without waiting for its WAL to reach the disk.
    private NpgsqlBatch WithoutFlushWait()
    {
        var batch = database.CreateBatch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT set_config('synchronous_commit', 'off', true)"));
        return batch;
    }

    public async Task NotifyAsync(string channel, string payload, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand("SELECT pg_notify($1, $2)");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = channel });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = payload });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
