using System.Data.Common;
using System.Text.Json;
using Arena.BuildingBlocks.Database;
using Arena.Modules.Messaging.Contracts;
using Arena.Modules.Votes.Domain;
using Arena.Modules.Votes.Domain.Ratings;
using Arena.Modules.Votes.Persistence;
using Mediator;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace Arena.Modules.Votes.Features.Leaderboard;

/// Computes a leaderboard snapshot as soon as a reader asks for one not yet stored, and recomputes the stored ones that
/// new counted votes made stale at most once per refresh interval, so that no request waits for a fit.
internal sealed partial class LeaderboardRefresher(
    IServiceScopeFactory scopes,
    LeaderboardSignal signal,
    LeaderboardTelemetry telemetry,
    IOptions<LeaderboardOptions> options,
    TimeProvider clock,
    ILogger<LeaderboardRefresher> logger) : BackgroundService
{
    // Declared before the query that interpolates it: static fields initialise in textual order.
    private static readonly string BucketWidth = LeaderboardComputation.LengthBucketWidth.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// The length difference (a − b)/(a + b) is bucketed as the fit buckets it (<see cref="LeaderboardComputation.LengthBucketWidth"/>),
    /// so the aggregate stays at most 11 rows per ordered pair; round() on numeric rounds halves away from zero, as the fit does.
    private static readonly string AggregateSql = $"""
        SELECT model_a, model_b,
               (round((output_tokens_a - output_tokens_b)::numeric / greatest(output_tokens_a + output_tokens_b, 1) / {BucketWidth}) * {BucketWidth})::float8 AS length_difference,
               count(*) FILTER (WHERE winner = 'a') AS wins_a,
               count(*) FILTER (WHERE winner = 'b') AS wins_b,
               count(*) FILTER (WHERE winner IN ('tie', 'both_bad')) AS ties
        FROM votes.votes
        WHERE validity = 'counted' AND (@since::timestamptz IS NULL OR created_at >= @since)
        GROUP BY 1, 2, 3
        """;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var nextRound = clock.GetTimestamp();
        while (!stoppingToken.IsCancellationRequested)
        {
            var started = clock.GetTimestamp();
            // A whole round (every stale snapshot) at most once per interval; between rounds, only the snapshots that
            // readers are waiting for, at once.
            var whole = started >= nextRound;
            try
            {
                await RefreshAsync(whole, stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested && Unreachable(e) is { } outage)
            {
                // An unreachable database is an outage to report, not a fault of this code; the next round tries again.
                LogDatabaseUnavailable(logger, outage.Message);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                LogRefreshFailed(logger, e);
            }

            var interval = options.Value.RefreshInterval;
            if (whole)
            {
                nextRound = started + (long)(interval.TotalSeconds * clock.TimestampFrequency);
            }

            await signal.WaitAsync(TimeSpan.FromSeconds((nextRound - clock.GetTimestamp()) / (double)clock.TimestampFrequency), stoppingToken);
        }
    }

    /// EF wraps what Npgsql throws on writes (DbUpdateException); the transient Npgsql fault may sit a level or two down.
    private static NpgsqlException? Unreachable(Exception? exception)
    {
        for (; exception is not null; exception = exception.InnerException)
        {
            if (exception is NpgsqlException { IsTransient: true } transient)
            {
                return transient;
            }
        }

        return null;
    }

    /// Computes the snapshots readers wait for, oldest request first, each stored as soon as it is computed; with
    /// <paramref name="whole"/>, also every stored snapshot that newer counted votes made stale, the waiting ones still
    /// first. Start dates beyond the stored number, least recently asked first, are forgotten.
    internal async Task RefreshAsync(bool whole, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<VotesDbContext>();
        db.Database.SetCommandTimeout(ModuleDatabase.BackgroundTimeout);
        var mediator = scope.ServiceProvider.GetRequiredService<IMediator>();
        var now = clock.GetUtcNow();
        if (whole)
        {
            foreach (var always in LeaderboardKey.AlwaysKeys)
            {
                if (!await db.LeaderboardSnapshots.AnyAsync(s => s.Key == always, cancellationToken))
                {
                    db.LeaderboardSnapshots.Add(new LeaderboardSnapshot { Key = always, RequestedAt = now });
                }
            }

            await db.SaveChangesAsync(cancellationToken);
            await db.LeaderboardSnapshots.Where(s => !LeaderboardKey.AlwaysKeys.Contains(s.Key) && s.Body != null)
                .OrderByDescending(s => s.RequestedAt).ThenBy(s => s.Key).Skip(options.Value.MaxSinceSnapshots)
                .ExecuteDeleteAsync(cancellationToken);
        }

        var newest = await db.Votes.Where(v => v.Validity == Validity.Counted).MaxAsync(v => (DateTimeOffset?)v.CreatedAt, cancellationToken);
        var stale = whole
            ? await db.LeaderboardSnapshots.Where(s => s.Body != null && s.IncludesVotesUntil != newest).OrderBy(s => s.RequestedAt).ThenBy(s => s.Key).ToListAsync(cancellationToken)
            : [];
        var next = 0;
        while (true)
        {
            var snapshot = await db.LeaderboardSnapshots.Where(s => s.Body == null).OrderBy(s => s.RequestedAt).ThenBy(s => s.Key).FirstOrDefaultAsync(cancellationToken)
                ?? (next < stale.Count ? stale[next++] : null);
            if (snapshot is null)
            {
                return;
            }

            var key = LeaderboardKey.Parse(snapshot.Key);
            var computing = clock.GetTimestamp();
            var document = await ComputeAsync(db, mediator, key, cancellationToken);
            snapshot.Body = JsonSerializer.Serialize(document, LeaderboardDocument.Json);
            snapshot.ComputedAt = document.ComputedAt;
            snapshot.IncludesVotesUntil = newest;
            try
            {
                await db.SaveChangesAsync(cancellationToken);
            }
            catch (DbUpdateConcurrencyException)
            {
                // Given way to a newer start date meanwhile; its reader asks again and is answered like a new one.
                db.Entry(snapshot).State = EntityState.Detached;
            }

            var duration = clock.GetElapsedTime(computing);
            signal.Computed(duration);
            telemetry.Refreshed(key, duration);
        }
    }

    private async Task<LeaderboardDocument> ComputeAsync(VotesDbContext db, IMediator mediator, LeaderboardKey key, CancellationToken cancellationToken)
    {
        DateTimeOffset? since = key.Since is { } day ? new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero) : null;
        var (models, cells) = await AggregateAsync(db, since, cancellationToken);
        var settings = options.Value;
        var speeds = (await mediator.Send(new ListModelSpeeds(since), cancellationToken)).ToDictionary(s => s.Model, StringComparer.Ordinal);
        var result = models.Count < 2
            ? new RatingResult([], null, null, null)
            : LeaderboardComputation.Compute(models, cells, key.LengthControl, settings.BootstrapResamples, settings.BootstrapSeed);
        var rows = result.Models
            .Select(m => new LeaderboardRow(m.Model, m.Rating, m.RatingLower, m.RatingUpper, m.Rank, m.RankUpperBound, m.Votes, m.Wins, m.Ties, m.Losses,
                speeds.TryGetValue(m.Model, out var s) ? new ModelSpeedRow(s.Replies, s.TtftMedianMs, s.TtftP90Ms, s.OutputTokensPerSecondMedian, s.ErrorRate) : null))
            .ToList();
        return new LeaderboardDocument(
            clock.GetUtcNow(), key.LengthControl ? "length" : "none", key.Since, null, cells.Sum(c => c.WinsA + c.WinsB + c.Ties),
            LeaderboardDocument.MethodText, LeaderboardDocument.AnchoringText, LeaderboardDocument.IntervalsText, settings.BootstrapResamples,
            result.LengthCoefficient, result.LengthCoefficientLower, result.LengthCoefficientUpper, rows);
    }

    private static async Task<(List<string> Models, List<PairCell> Cells)> AggregateAsync(VotesDbContext db, DateTimeOffset? since, CancellationToken cancellationToken)
    {
        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var command = connection.CreateCommand();
            command.CommandText = AggregateSql;
            command.CommandTimeout = ModuleDatabase.Seconds(ModuleDatabase.BackgroundTimeout);
            command.Parameters.Add(new NpgsqlParameter("since", NpgsqlDbType.TimestampTz) { Value = (object?)since ?? DBNull.Value });
            await using DbDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
            var index = new Dictionary<string, int>(StringComparer.Ordinal);
            var models = new List<string>();
            var cells = new List<PairCell>();
            while (await reader.ReadAsync(cancellationToken))
            {
                cells.Add(new PairCell(
                    IndexOf(reader.GetString(0)), IndexOf(reader.GetString(1)), reader.GetDouble(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5)));
            }

            return (models, cells);

            int IndexOf(string model)
            {
                if (!index.TryGetValue(model, out var i))
                {
                    i = models.Count;
                    index[model] = i;
                    models.Add(model);
                }

                return i;
            }
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refreshing the leaderboard waits for the database: {Reason}")]
    private static partial void LogDatabaseUnavailable(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Refreshing the leaderboard failed")]
    private static partial void LogRefreshFailed(ILogger logger, Exception exception);
}
