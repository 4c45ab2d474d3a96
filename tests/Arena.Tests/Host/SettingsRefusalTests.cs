using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Arena.Tests.Support;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Arena.Tests.Host;

/// A broken setting stops the Host at start-up, named by its key, rather than failing the first request that reads it.
public sealed class SettingsRefusalTests
{
    [Theory]
    [InlineData("Arena:Database:ConnectTimeout", "00:00:00", "Arena:Database:ConnectTimeout must be positive")]
    [InlineData("Arena:Database:ConnectTimeout", "00:20:00", "Arena:Database:ConnectTimeout must be at most")]
    [InlineData("Arena:Database:CommandTimeout", "-00:00:01", "Arena:Database:CommandTimeout must be positive")]
    [InlineData("Arena:Messaging:DrainTimeout", "-00:00:01", "Arena:Messaging:DrainTimeout must not be negative")]
    [InlineData("Arena:Battles:MinReadingTime", "-00:00:01", "Arena:Battles:MinReadingTime must not be negative")]
    [InlineData("Arena:Sessions:MaxCompareModels", "5", "Arena:Sessions:MaxCompareModels: The field MaxCompareModels must be between 2 and 4.")]
    [InlineData("Arena:Limits:StreamsPerUser", "0", "Arena:Limits:StreamsPerUser: ")]
    public void Startup_BrokenSetting_FailsNamingIt(string key, string value, string expected)
    {
        var refusals = Refusals((key, value));

        // The broken setting alone, without the framework's name for the class that holds it.
        var refusal = Assert.Single(refusals);
        Assert.Contains(expected, refusal, StringComparison.Ordinal);
        Assert.DoesNotContain("Options", refusal, StringComparison.Ordinal);
    }

    [Fact]
    public void Startup_TwoBrokenSettingsOfOneSection_NamesBoth()
    {
        var refusal = Assert.Single(Refusals(("Arena:Database:ConnectTimeout", "00:00:00"), ("Arena:Database:CommandTimeout", "00:00:00")));

        Assert.Contains("Arena:Database:ConnectTimeout must be positive", refusal, StringComparison.Ordinal);
        Assert.Contains("Arena:Database:CommandTimeout must be positive", refusal, StringComparison.Ordinal);
    }

    [Fact]
    public void Startup_ProductionWithoutSigningKeys_FailsNamingTheSetting()
    {
        var refusal = Assert.Single(Refusals("Production", withTokens: false));

        Assert.Contains("Authentication:Schemes:Bearer", refusal, StringComparison.Ordinal);
    }

    private static List<string> Refusals(params (string Key, string Value)[] broken) => Refusals("Testing", withTokens: true, broken);

    /// What the start-up refused, one message per broken section (the Host aggregates those of several sections).
    private static List<string> Refusals(string environment, bool withTokens, params (string Key, string Value)[] broken)
    {
        var settings = new Dictionary<string, string?>
        {
            // Never reached: the Host must refuse before it touches the database.
            ["ConnectionStrings:Arena"] = "Host=127.0.0.1;Port=1;Database=none",
            ["Arena:Database:MigrateOnStartup"] = "false",
        };
        if (withTokens)
        {
            settings["Authentication:Schemes:Bearer:ValidIssuer"] = TestTokens.Issuer;
            settings["Authentication:Schemes:Bearer:ValidAudiences:0"] = TestTokens.Audience;
            settings[TestTokens.KeyIssuerSetting] = TestTokens.Issuer;
            settings[TestTokens.KeyValueSetting] = TestTokens.SigningKey;
        }

        foreach (var (key, value) in broken)
        {
            settings[key] = value;
        }

        var logs = new CapturedLogs();
        using var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(host =>
        {
            host.UseEnvironment(environment);
            host.ConfigureAppConfiguration((_, configuration) => configuration.AddInMemoryCollection(settings));
            host.ConfigureServices(logs.AddTo);
        });
        var thrown = Record.Exception(() => factory.Services);
        Assert.NotNull(thrown);

        // A refusal at start is read from what the Host logged, not from what the factory threw: the factory runs the entry
        // point on a thread of its own and may read the host's services after the entry point disposed them
        // (dotnet/aspnetcore#38335). A refusal while the app is built never reaches the Host's start, and is what was thrown.
        var refused = logs.Entries.SingleOrDefault(e => e.Level == LogLevel.Error && e.Category == "Microsoft.Extensions.Hosting.Internal.Host")?.Exception ?? thrown;
        return refused switch
        {
            OptionsValidationException one => [one.Message],
            AggregateException many => [.. many.InnerExceptions.Select(e => Assert.IsType<OptionsValidationException>(e).Message)],
            _ => throw new Xunit.Sdk.XunitException($"The Host failed otherwise: {refused}"),
        };
    }
}
