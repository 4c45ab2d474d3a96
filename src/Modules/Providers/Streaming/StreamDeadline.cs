namespace Arena.Modules.Providers.Streaming;

/// The first-chunk and idle deadlines of one provider stream on one timer that a chunk never touches. Re-arming a timer per
/// chunk takes the runtime's timer-queue lock on every chunk of every stream; here a chunk only records when it came, and
/// the timer, when it fires, cancels if the stream has been quiet that long or waits out the rest.
internal sealed class StreamDeadline : IDisposable
{
    private readonly Lock gate = new();
    private readonly CancellationTokenSource source;
    private readonly ITimer timer;
    private readonly TimeProvider clock;
    private long lastProgress;
    private TimeSpan limit = Timeout.InfiniteTimeSpan;
    private bool disposed;

    public StreamDeadline(CancellationToken cancellationToken, TimeProvider clock)
    {
        this.clock = clock;
        source = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // Without the caller's execution context, as CancelAfter's own timer: the timer must not keep the request's alive.
        using (ExecutionContext.SuppressFlow())
        {
            timer = clock.CreateTimer(static state => ((StreamDeadline)state!).Check(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
    }

    public CancellationToken Token => source.Token;

    public bool IsCancellationRequested => source.IsCancellationRequested;

    /// Cancels once nothing has progressed for <paramref name="quiet"/>, counted from now; infinite disarms it.
    public void Arm(TimeSpan quiet)
    {
        lock (gate)
        {
            limit = quiet;
            Volatile.Write(ref lastProgress, clock.GetTimestamp());
            timer.Change(quiet, Timeout.InfiniteTimeSpan);
        }
    }

    /// Called per chunk: one write, no lock, no timer.
    public void Progress() => Volatile.Write(ref lastProgress, clock.GetTimestamp());

    public void Dispose()
    {
        // Under the lock, so that a check running now does not re-arm a disposed timer (which would throw on the timer's thread).
        lock (gate)
        {
            disposed = true;
        }

        timer.Dispose();
        source.Dispose();
    }

    private void Check()
    {
        lock (gate)
        {
            if (disposed || limit == Timeout.InfiniteTimeSpan)
            {
                return;
            }

            var quiet = clock.GetElapsedTime(Volatile.Read(ref lastProgress));
            if (quiet < limit)
            {
                timer.Change(limit - quiet, Timeout.InfiniteTimeSpan);
                return;
            }
        }

        try
        {
            source.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The stream ended while the timer fired.
        }
    }
}
