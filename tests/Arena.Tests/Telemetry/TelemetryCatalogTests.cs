using System.Reflection;
using Arena.Modules.Messaging.Streaming;
using Arena.Modules.Votes.Features.Leaderboard;
using Arena.Tests.Support;

namespace Arena.Tests.Telemetry;

/// The observability page lists what the dashboards and alerts are built on: it must name every instrument, tag and
/// span event the streams and the leaderboard record.
public sealed class TelemetryCatalogTests
{
    [Fact]
    public void ObservabilityPage_NamesEveryStreamInstrumentAndTag()
    {
        var names = CatalogNames(typeof(StreamTelemetry));

        Assert.True(names.Count >= 20, $"only {names.Count} names found");
        Assert.All(names, name => Assert.Contains($"`{name}", Page(), StringComparison.Ordinal));
    }

    [Fact]
    public void ObservabilityPage_NamesEveryLeaderboardInstrumentAndTag()
    {
        var names = CatalogNames(typeof(LeaderboardTelemetry));

        Assert.True(names.Count >= 2, $"only {names.Count} names found");
        Assert.All(names, name => Assert.Contains($"`{name}", Page(), StringComparison.Ordinal));
        Assert.Contains($"Meter `{LeaderboardTelemetry.MeterName}`", Page(), StringComparison.Ordinal);
    }

    private static string Page() => File.ReadAllText(Path.Combine(Checkout.Root, "docs", "observability.md"));

    private static List<string> CatalogNames(Type telemetry) =>
        [.. telemetry.GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && (f.Name.EndsWith("Instrument", StringComparison.Ordinal) || f.Name.EndsWith("Tag", StringComparison.Ordinal) || f.Name.EndsWith("Event", StringComparison.Ordinal)))
            .Select(f => (string)f.GetRawConstantValue()!)];
}
