namespace Arena.Tests.Support;

/// Waits for what the Host brings about on its own schedule (a sweep, a reload, a health probe, a write after the
/// response). The default bound is generous because those run on their own timers, which a loaded machine may delay;
/// a wait that passes returns as soon as it holds, so the bound costs nothing then.
internal static class Eventually
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan DefaultInterval = TimeSpan.FromMilliseconds(50);

    /// Probes until it answers <paramref name="expected"/>; fails as <see cref="Assert.Equal{T}(T, T)"/> does with the last answer.
    public static async Task EqualAsync<T>(T expected, Func<Task<T>> probe, TimeSpan? timeout = null)
    {
        var actual = await SettleAsync(probe, value => EqualityComparer<T>.Default.Equals(value, expected), timeout);
        Assert.Equal(expected, actual);
    }

    /// Asks until the condition holds; fails with <paramref name="failure"/> once the bound is over.
    public static async Task TrueAsync(Func<Task<bool>> condition, string failure, TimeSpan? timeout = null) =>
        await UntilAsync(condition, held => held, _ => failure, timeout);

    /// Probes until <paramref name="settled"/> accepts the value and returns it; fails with a description of the last one
    /// once the bound is over.
    public static async Task<T> UntilAsync<T>(Func<Task<T>> probe, Func<T, bool> settled, Func<T, string> failure, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var last = await SettleAsync(probe, settled, timeout, cancellationToken: cancellationToken);
        Assert.True(settled(last), failure(last));
        return last;
    }

    /// Probes until <paramref name="settled"/> accepts the value or the bound is over, and returns the last value either
    /// way, for a caller whose own assertions on it say more than a timeout would. Between probes it waits for
    /// <paramref name="changed"/> where the subject can signal a change, else for <paramref name="interval"/>. A
    /// <paramref name="cancellationToken"/> ends the bound early, for a test whose whole run has one patience.
    public static async Task<T> SettleAsync<T>(
        Func<Task<T>> probe,
        Func<T, bool> settled,
        TimeSpan? timeout = null,
        TimeSpan? interval = null,
        Func<CancellationToken, Task>? changed = null,
        CancellationToken cancellationToken = default)
    {
        using var patience = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        patience.CancelAfter(timeout ?? DefaultTimeout);
        var pause = changed ?? (token => Task.Delay(interval ?? DefaultInterval, token));
        while (true)
        {
            // Taken before the probe, so that a change between the probe and the wait still wakes it.
            var next = pause(patience.Token);
            var value = await probe();
            if (settled(value) || patience.IsCancellationRequested)
            {
                return value;
            }

            try
            {
                await next;
            }
            catch (OperationCanceledException) when (patience.IsCancellationRequested)
            {
                // One last probe below: the bound is over, but what happened just before it still counts.
            }
        }
    }
}
