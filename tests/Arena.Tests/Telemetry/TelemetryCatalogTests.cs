using System.Reflection;
using Arena.Modules.Messaging.Streaming;
using Arena.Tests.Support;

namespace Arena.Tests.Telemetry;

/// The observability page lists what the dashboards and alerts are built on: it must name every instrument, tag and
/// span event the streams record.
public sealed class TelemetryCatalogTests
{
    [Fact]
    public void ObservabilityPage_NamesEveryStreamInstrumentAndTag()
    {
        var page = File.ReadAllText(Path.Combine(Checkout.Root, "docs", "observability.md"));
        var names = typeof(StreamTelemetry).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && (f.Name.EndsWith("Instrument", StringComparison.Ordinal) || f.Name.EndsWith("Tag", StringComparison.Ordinal) || f.Name.EndsWith("Event", StringComparison.Ordinal)))
            .Select(f => (string)f.GetRawConstantValue()!)
            .ToList();

        Assert.True(names.Count >= 20, $"only {names.Count} names found");
        Assert.All(names, name => Assert.Contains($"`{name}", page, StringComparison.Ordinal));
    }
}
