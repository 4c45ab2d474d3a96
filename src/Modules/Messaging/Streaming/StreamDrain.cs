using Arena.Modules.Messaging.Domain;
using Arena.Modules.Messaging.Persistence;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Arena.Modules.Messaging.Streaming;

/// The graceful end of this instance's streams on SIGTERM. It runs in the host's stopping phase, before any hosted service
/// stops, so the server still answers meanwhile: from the moment the host is stopping, readiness fails and new stream
/// requests answer 503 (see <c>TurnAdmission</c>); running turns get <see cref="MessagingOptions.DrainTimeout"/> to
/// end by themselves; those still running are then ended as <c>shutdown</c> (their clients read an error with that code
/// and the protocol's end; their rows are stored <c>interrupted</c> with their content and metadata, and a resumable turn
/// is thus handed back to whichever instance a resume reaches, which replays the rows); last, the pending final writes
/// get <see cref="MessagingOptions.FinalWriteTimeout"/> more, and the ended turns' queued positions are stored. Then the
/// server stops with no stream left open, and the stream-host lease removes its row.
internal sealed partial class StreamDrain(LiveTurns turns, FinalWrites writes, BackgroundSaves saves, IHostApplicationLifetime lifetime, IOptions<MessagingOptions> options, ILogger<StreamDrain> logger)
    : IHostedLifecycleService
{
    public const string ShutdownCode = "shutdown";

    public const string ShutdownMessage = "The server shut down before the reply ended; what had arrived is saved.";

    private volatile bool draining;
    private volatile bool shuttingDown;

    /// True once the host is stopping: no new stream is taken.
    public bool Draining => draining || lifetime.ApplicationStopping.IsCancellationRequested;

    /// True once the drain's deadline passed: the streams still running are being ended by the shutdown.
    public bool ShuttingDown => shuttingDown;

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        draining = true;
        var settings = options.Value;
        var running = turns.Running();
        if (running.Count > 0)
        {
            LogDraining(logger, running.Count, settings.DrainTimeout);
        }

        using (var drain = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            drain.CancelAfter(settings.DrainTimeout);
            await WaitForRunningAsync(drain.Token);
        }

        shuttingDown = true;
        using var closing = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        closing.CancelAfter(settings.FinalWriteTimeout);
        var ended = 0;
        // Again until none is left: a request that passed the gate just before the drain began starts its turn late.
        while (!closing.IsCancellationRequested && turns.Running() is { Count: > 0 } left)
        {
            foreach (var turn in left)
            {
                turn.ShutDown();
            }

            ended += left.Count;
            await WaitForRunningAsync(closing.Token);
        }

        if (ended > 0)
        {
            LogShutDown(logger, ended);
        }

        await writes.DrainAsync(closing.Token);

        // The positions of the turns that just ended, so that the instance a resume reaches continues them exactly.
        using var last = new CancellationTokenSource(settings.FinalWriteTimeout);
        await saves.FlushAsync(last.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private async Task WaitForRunningAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested && turns.Running() is { Count: > 0 } running)
        {
            await Task.WhenAll(running.Select(turn => turn.Ended)).WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(LogLevel.Information, "Shutting down: no new streams; {Count} running turns get {DrainTimeout} to end")]
    private static partial void LogDraining(ILogger logger, int count, TimeSpan drainTimeout);

    [LoggerMessage(LogLevel.Warning, "Ended {Count} turns still running at the drain deadline; their replies are stored as interrupted")]
    private static partial void LogShutDown(ILogger logger, int count);
}
