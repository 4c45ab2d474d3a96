namespace Arena.Bench;

/// Scrapes a server's /metrics every second while a point runs, as Prometheus would, so that the telemetry scenario's
/// "on" side pays for serving the scrapes too. Counts the scrapes that answered 200 so that a point whose scrapes all
/// failed is not read as telemetry being cheap.
internal sealed class MetricsScraper : IAsyncDisposable
{
    private readonly CancellationTokenSource stop = new();
    private readonly Task loop;

    public MetricsScraper(HttpClient http, Uri metrics) => loop = Run(http, metrics);

    public int Scrapes { get; private set; }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        await loop;
        stop.Dispose();
        if (Scrapes == 0)
        {
            throw new InvalidOperationException("No scrape of /metrics answered 200 during the point: telemetry was not measured.");
        }
    }

    private async Task Run(HttpClient http, Uri metrics)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            do
            {
                using var response = await http.GetAsync(metrics, stop.Token);
                await response.Content.CopyToAsync(Stream.Null, stop.Token);
                Scrapes += response.IsSuccessStatusCode ? 1 : 0;
            }
            while (await timer.WaitForNextTickAsync(stop.Token));
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The point ended.
        }
    }
}
