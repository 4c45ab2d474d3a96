using System.Threading.Channels;

namespace Arena.Modules.Votes.Features.Leaderboard;

/// Wakes the leaderboard's refresher: many signals between two refreshes collapse into one.
internal sealed class LeaderboardSignal
{
    private readonly Channel<bool> channel = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    public void VotesChanged() => channel.Writer.TryWrite(true);

    public async Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
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
