namespace Arena.Tests.Host.Gateway;

internal static class Eventually
{
    /// Polls until the probe answers the expected value; the bound is generous because configuration reloads and health
    /// probes run on their own timers, which a loaded machine may delay.
    public static async Task EqualAsync(string expected, Func<Task<string>> probe, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        var actual = await probe();
        while (actual != expected && DateTime.UtcNow < deadline)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(200));
            actual = await probe();
        }

        Assert.Equal(expected, actual);
    }
}
