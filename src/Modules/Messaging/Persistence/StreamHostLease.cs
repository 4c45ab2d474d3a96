using Arena.Modules.Messaging.Domain;
using Arena.Modules.Messaging.Streaming;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Arena.Modules.Messaging.Persistence;

/// This process's lease on the replies it streams. Every heartbeat it renews its own row in <c>stream_hosts</c> and
/// interrupts the <c>streaming</c> replies of hosts whose lease lapsed (a crashed or partitioned instance), keeping their
/// last flushed content. So a reply a dead process left behind is released within a lease, with or without a restart,
/// and one instance starting up never takes over the live streams of another. While this host lives, its lease also keeps
/// the rows whose final write <see cref="FinalWrites"/> is still retrying its own.
internal sealed partial class StreamHostLease(
    IDbContextFactory<MessagingDbContext> contexts,
    TimeProvider clock,
    IOptions<MessagingOptions> options,
    StreamTelemetry telemetry,
    IServiceProvider services,
    ILogger<StreamHostLease> logger) : BackgroundService
{
    private string? address;
    private bool unreachable;

    public Guid Id { get; } = Guid.CreateVersion7();

    /// The configured address, else the first one the server listens on (known only once it started, so read every renewal
    /// until found); a wildcard host becomes the machine's name.
    private string? Address()
    {
        if (address is not null)
        {
            return address;
        }

        if (!string.IsNullOrWhiteSpace(options.Value.InstanceAddress))
        {
            return address = options.Value.InstanceAddress;
        }

        // Before the server started, the feature holds the configured addresses, not the ones bound.
        if (services.GetService<IHostApplicationLifetime>() is not { ApplicationStarted.IsCancellationRequested: true })
        {
            return null;
        }

        var listening = services.GetService<IServer>()?.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        if (listening is null)
        {
            return null;
        }

        return address = listening.Replace("://+", "://" + Environment.MachineName, StringComparison.Ordinal)
            .Replace("://*", "://" + Environment.MachineName, StringComparison.Ordinal)
            .Replace("://0.0.0.0", "://" + Environment.MachineName, StringComparison.Ordinal)
            .Replace("://[::]", "://" + Environment.MachineName, StringComparison.Ordinal);
    }

    /// Renews this host's heartbeat, then interrupts the replies of lapsed hosts. Both sides use the database's clock,
    /// so that instances whose clocks disagree still agree on who is alive. Rows without a host come from a version
    /// before leases; they are taken for dead only once silent for a whole lease, so a rolling deploy keeps its streams.
    public async Task RenewAndSweepAsync(CancellationToken cancellationToken)
    {
        var lease = options.Value.StreamHostLease;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await db.Database.ExecuteSqlInterpolatedAsync(
            $"INSERT INTO messaging.stream_hosts (id, started_at, heartbeat_at, address) VALUES ({Id}, now(), now(), NULLIF({Address() ?? ""}, '')) ON CONFLICT (id) DO UPDATE SET heartbeat_at = now(), address = excluded.address",
            cancellationToken);

        var interrupted = await InterruptLapsedAsync(db, lease, cancellationToken);
        if (interrupted > 0)
        {
            LogInterrupted(logger, interrupted);
        }

        await db.Database.ExecuteSqlInterpolatedAsync($"DELETE FROM messaging.stream_hosts WHERE heartbeat_at <= now() - {lease}", cancellationToken);
    }

    /// Counts each interrupted reply in the finished-replies metric as it is swept, so dashboards see what dead hosts left.
    private async Task<int> InterruptLapsedAsync(MessagingDbContext db, TimeSpan lease, CancellationToken cancellationToken)
    {
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var sweep = new NpgsqlCommand(
                """
                UPDATE messaging.messages AS m SET status = 'interrupted', updated_at = now()
                WHERE m.status = 'streaming' AND CASE
                    WHEN m.stream_host_id IS NULL THEN m.updated_at < now() - $1
                    ELSE NOT EXISTS (SELECT 1 FROM messaging.stream_hosts AS h WHERE h.id = m.stream_host_id AND h.heartbeat_at > now() - $1)
                END
                RETURNING m.model, m.participant
                """,
                (NpgsqlConnection)db.Database.GetDbConnection())
            {
                Parameters = { new NpgsqlParameter { Value = lease } },
            };
            await using var swept = await sweep.ExecuteReaderAsync(cancellationToken);
            var count = 0;
            while (await swept.ReadAsync(cancellationToken))
            {
                telemetry.Interrupted(swept.IsDBNull(0) ? null : swept.GetString(0), swept.IsDBNull(1) ? null : swept.GetString(1));
                count++;
            }

            return count;
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var heartbeat = new PeriodicTimer(options.Value.StreamHostHeartbeat, clock);
        while (await heartbeat.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await RenewAndSweepAsync(stoppingToken);
                if (unreachable)
                {
                    unreachable = false;
                    LogHeartbeatRecovered(logger);
                }
            }
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested && Transient(exception) is { } outage)
            {
                // The next heartbeat tries again; the lease is several heartbeats long for exactly this. An outage is one
                // line, not a stack trace per heartbeat: the requests meanwhile answer 503 and say so too.
                if (!unreachable)
                {
                    unreachable = true;
                    LogHeartbeatUnreachable(logger, outage.Message);
                }
            }
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
            {
                LogHeartbeatFailed(logger, exception);
            }
        }
    }

    /// Runs after the drain (see <c>StreamDrain</c>): the last final writes have had their chance, so this host leaves at
    /// once and the other instances recover what it could not finish without waiting out the lease. Never throws, even
    /// when the host's shutdown timeout has passed: the removal has its own bound.
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            using var timeout = new CancellationTokenSource(options.Value.FinalWriteTimeout);
            await using var db = await contexts.CreateDbContextAsync(timeout.Token);
            await db.StreamHosts.Where(h => h.Id == Id).ExecuteDeleteAsync(timeout.Token);
        }
        catch (Exception exception)
        {
            LogLeaveFailed(logger, exception);
        }
    }

    [LoggerMessage(LogLevel.Warning, "Marked {Count} replies whose stream host stopped as interrupted")]
    private static partial void LogInterrupted(ILogger logger, int count);

    [LoggerMessage(LogLevel.Warning, "Could not remove this host's stream lease on shutdown; the other instances recover its replies once it lapses")]
    private static partial void LogLeaveFailed(ILogger logger, Exception exception);

    [LoggerMessage(LogLevel.Error, "Could not renew this host's stream lease")]
    private static partial void LogHeartbeatFailed(ILogger logger, Exception exception);

    [LoggerMessage(LogLevel.Warning, "The database is unreachable; this host's stream lease is renewed once it answers again: {Reason}")]
    private static partial void LogHeartbeatUnreachable(ILogger logger, string reason);

    [LoggerMessage(LogLevel.Information, "The database answers again; this host's stream lease is renewed")]
    private static partial void LogHeartbeatRecovered(ILogger logger);

    /// The database could not be reached or did not answer in time, however deep EF wrapped it.
    private static NpgsqlException? Transient(Exception? exception)
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
}
