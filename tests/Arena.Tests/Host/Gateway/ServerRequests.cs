using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Arena.Tests.Host.Gateway;

/// Every request any Kestrel server in this test process finished (ASP.NET Core's http.server.request.duration), with
/// the meter scope of the app that served it, so that a test can count the requests one app served itself.
public sealed class ServerRequests : IDisposable
{
    private readonly MeterListener listener = new();
    private readonly ConcurrentQueue<(object? Scope, string Route)> served = new();
    private readonly SemaphoreSlim arrived = new(0);

    public ServerRequests()
    {
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Microsoft.AspNetCore.Hosting" && instrument.Name == "http.server.request.duration")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((instrument, _, tags, _) =>
        {
            var route = "";
            foreach (var tag in tags)
            {
                if (tag.Key == "http.route")
                {
                    route = tag.Value as string ?? "";
                }
            }

            served.Enqueue((instrument.Meter.Scope, route));
            arrived.Release();
        });
        listener.Start();
    }

    /// The routes of the requests served by the app whose meters the given factory made, oldest first.
    public IReadOnlyList<string> ServedBy(object meterFactory) => [.. served.Where(r => ReferenceEquals(r.Scope, meterFactory)).Select(r => r.Route)];

    /// Waits until the app has served, after its first `skip` requests, one whose route matches.
    public async Task WaitForAsync(object meterFactory, int skip, Func<string, bool> route)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!ServedBy(meterFactory).Skip(skip).Any(route))
        {
            await arrived.WaitAsync(timeout.Token);
        }
    }

    public void Dispose()
    {
        listener.Dispose();
        arrived.Dispose();
    }
}
