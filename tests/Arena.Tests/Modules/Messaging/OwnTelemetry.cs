using System.Diagnostics.Metrics;
using Arena.Modules.Messaging.Streaming;
using Microsoft.Extensions.DependencyInjection;

namespace Arena.Tests.Modules.Messaging;

/// The messaging telemetry on a meter factory of its own, for a test that builds its subject without a Host.
internal sealed class OwnTelemetry : IDisposable
{
    private readonly ServiceProvider services = new ServiceCollection().AddMetrics().BuildServiceProvider();

    public OwnTelemetry()
    {
        Telemetry = new StreamTelemetry(services.GetRequiredService<IMeterFactory>());
    }

    public StreamTelemetry Telemetry { get; }

    public StreamTrace Trace() => new(Telemetry, "streaming", CancellationToken.None);

    public void Dispose()
    {
        Telemetry.Dispose();
        services.Dispose();
    }
}
