using System.Collections.Concurrent;
using Arena.Modules.Messaging.Domain;
using Arena.Modules.Providers.Contracts;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Polly;
using Polly.Retry;

namespace Arena.Modules.Messaging.Persistence;

/// The last write of every reply this process streams. Each runs on its own (never on a read loop, never in another
/// stream's way), retried with exponential backoff and jitter while the process lives; the participant waits for it at
/// most <see cref="MessagingOptions.FinalWriteWait"/>, so that its finish event can say whether the reply is stored
/// without a slow database holding the end of the stream for long. A write still pending then goes on in the background.
/// While a write is pending its row stays <c>streaming</c> under this host's lease, which the heartbeat keeps renewing,
/// so no instance interrupts it meanwhile; and the write sets the row whatever its status, so one that lands after another
/// instance interrupted the row (this host lost the database for a whole lease) still restores the whole reply.
/// On shutdown <see cref="DrainAsync"/> keeps the pending ones going until the drain's deadline.
internal sealed partial class FinalWrites
{
    private readonly ConcurrentDictionary<Guid, Task<bool>> pending = new();
    // Never disposed: a turn ending after the host stopped may still ask for its token.
    private readonly CancellationTokenSource stopping = new();
    private readonly MessageRows rows;
    private readonly TimeProvider clock;
    private readonly IOptions<MessagingOptions> options;
    private readonly ILogger<FinalWrites> logger;
    private readonly ResiliencePipeline pipeline;

    public FinalWrites(MessageRows rows, TimeProvider clock, IOptions<MessagingOptions> options, ILogger<FinalWrites> logger)
    {
        this.rows = rows;
        this.clock = clock;
        this.options = options;
        this.logger = logger;
        var settings = options.Value;
        pipeline = new ResiliencePipelineBuilder { TimeProvider = clock }
            .AddRetry(new RetryStrategyOptions
            {
                // A data error is the row's own fault and will not change by waiting; a cancellation is the shutdown's deadline.
                ShouldHandle = new PredicateBuilder().Handle<Exception>(exception => exception is not OperationCanceledException && !IsPermanent(exception)),
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(100),
                // At most a heartbeat apart: the lease's own pace for noticing that the database is back.
                MaxDelay = settings.StreamHostHeartbeat,
                OnRetry = arguments =>
                {
                    // One line when a write first fails, not one per attempt of an outage.
                    if (arguments.AttemptNumber == 0)
                    {
                        LogRetrying(logger, arguments.Context.OperationKey, arguments.Outcome.Exception?.Message);
                    }

                    return ValueTask.CompletedTask;
                },
            })
            .AddTimeout(settings.FinalWriteTimeout)
            .Build();
    }

    /// Starts the write and waits for it at most <see cref="MessagingOptions.FinalWriteWait"/>: true when the row holds the
    /// reply by then. Otherwise the write keeps being retried. Never throws.
    public async Task<bool> WriteAsync(FinalWrite end)
    {
        var write = RunAsync(end);
        pending[end.MessageId] = write;
        if (write.IsCompleted)
        {
            pending.TryRemove(new KeyValuePair<Guid, Task<bool>>(end.MessageId, write));
        }

        await ((Task)write.WaitAsync(options.Value.FinalWriteWait, clock)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        return write.IsCompletedSuccessfully && write.Result;
    }

    /// Waits for the pending writes until <paramref name="deadline"/>, then stops retrying them. Never throws.
    public async Task DrainAsync(CancellationToken deadline)
    {
        Task[] left = [.. pending.Values];
        if (left.Length > 0)
        {
            await Task.WhenAll(left).WaitAsync(deadline).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        await stopping.CancelAsync();
        left = [.. pending.Values];
        if (left.Length > 0)
        {
            // Each attempt honours the cancellation; this only bounds a driver that does not.
            await Task.WhenAll(left).WaitAsync(TimeSpan.FromSeconds(1), clock, CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private async Task<bool> RunAsync(FinalWrite end)
    {
        var context = ResilienceContextPool.Shared.Get(end.MessageId.ToString(), stopping.Token);
        try
        {
            var outcome = await pipeline.ExecuteOutcomeAsync(
                static async (context, state) =>
                {
                    try
                    {
                        await state.rows.FinishAsync(state.end, context.CancellationToken);
                        return Outcome.FromResult(true);
                    }
                    catch (Exception exception)
                    {
                        return Outcome.FromException<bool>(exception);
                    }
                },
                context,
                (rows, end));
            if (outcome.Exception is null)
            {
                return true;
            }

            if (IsPermanent(outcome.Exception))
            {
                LogGivingUp(logger, end.MessageId, outcome.Exception);
                await GiveUpAsync(end);
            }
            else
            {
                // Only the shutdown's deadline ends the retries; the lease recovery of another instance takes the row over.
                LogNotSaved(logger, end.MessageId);
            }

            return false;
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
            pending.TryRemove(end.MessageId, out _);
        }
    }

    /// The smallest write that can end a row whose reply the database refuses: error status, whatever content it had.
    private async Task GiveUpAsync(FinalWrite end)
    {
        var metadata = new MessageMetadata(WireNames.Of(FinishReason.Error), null, null, 0, new ErrorMetadata(WireNames.Of(CompletionErrorCode.Unknown), "The reply could not be saved.")).Serialize();
        try
        {
            using var timeout = new CancellationTokenSource(options.Value.FinalWriteTimeout);
            await rows.FailAsync(end.MessageId, metadata, end.At, timeout.Token);
        }
        catch (Exception exception)
        {
            // The host's lease still covers the row; once this host stops, any instance interrupts it.
            LogGivingUp(logger, end.MessageId, exception);
        }
    }

    /// Data exceptions (class 22) and integrity violations (class 23): the statement itself is refused, not the connection.
    private static bool IsPermanent(Exception exception) => exception is PostgresException { SqlState: ['2', '2' or '3', ..] };

    // The reason without a stack trace: a database that refuses for a while is an outage, not a bug.
    [LoggerMessage(LogLevel.Warning, "Could not save the end of message {MessageId}; retrying it in the background, the stream goes on: {Reason}")]
    private static partial void LogRetrying(ILogger logger, string? messageId, string? reason);

    [LoggerMessage(LogLevel.Error, "The database refuses the end of message {MessageId}; storing it as an error")]
    private static partial void LogGivingUp(ILogger logger, Guid messageId, Exception exception);

    [LoggerMessage(LogLevel.Warning, "The end of message {MessageId} was not saved before shutdown; the lease recovery keeps its last partial copy")]
    private static partial void LogNotSaved(ILogger logger, Guid messageId);
}
