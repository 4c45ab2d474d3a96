using System.Threading.Channels;

namespace Arena.Modules.Votes.Features.Leaderboard;

/// Wakes the leaderboard's refresher (many signals between two rounds collapse into one), and tells readers how long a
/// computation takes here, so that a 202's Retry-After is a real wait.
internal sealed class LeaderboardSignal
{
    private readonly Channel<bool> channel = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    private long computationTicks = TimeSpan.FromMilliseconds(500).Ticks;

    /// The recent computations' duration, smoothed; half a second until one has been measured.
    public TimeSpan Computation => TimeSpan.FromTicks(Interlocked.Read(ref computationTicks));

    public void VotesChanged() => Wake();

    /// A reader waits for a snapshot not yet computed: the refresher computes it now rather than at its next round.
    public void Requested() => Wake();

    private void Wake() => channel.Writer.TryWrite(true);

    public void Computed(TimeSpan duration)
    {
        var smoothed = (Interlocked.Read(ref computationTicks) * 3 + duration.Ticks) / 4;
        Interlocked.Exchange(ref computationTicks, smoothed);
    }

    public async Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (timeout <= TimeSpan.Zero)
        {
            return;
        }

        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timer.CancelAfter(timeout);
        try
        {
            await channel.Reader.ReadAsync(timer.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The timeout: refresh anyway, for votes another instance took.
        }
    }
}
