using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace Arena.Tests.Modules.Messaging;

/// The mock models of <see cref="MessagingApp"/> plus <c>failing-model</c>, a mock that always fails after two chunks, so
/// that one participant of a compare stream fails while the other succeeds. Its own Host, so its own IMeterFactory.
public sealed class StreamTelemetryApp : MessagingApp
{
    public const string Failing = "failing-model";

    /// Listens to this Host's "Arena.Messaging" meter only: other test classes run their own Hosts in parallel, and the
    /// meters each Host's factory creates carry that factory as their scope.
    public MessagingTelemetry Listen() => new(Services.GetRequiredService<IMeterFactory>());

    protected override void Configure(IDictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["Arena:Providers:failing:Kind"] = "mock";
        settings["Arena:Providers:failing:Mock:ChunkCount"] = $"{ChunkCount}";
        settings["Arena:Providers:failing:Mock:ChunkInterval"] = "00:00:00.020";
        settings["Arena:Providers:failing:Mock:FailAfterChunks"] = "2";
        settings["Arena:Models:failing-model:Provider"] = "failing";
    }
}
