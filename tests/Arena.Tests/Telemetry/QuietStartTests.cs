using System.Net;
using Arena.Tests.Modules.Messaging;
using Arena.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Arena.Tests.Telemetry;

/// The Host pointed at a database that does not exist yet, as on a first start: the migrations create it while the
/// gateway's health probes and the readiness publisher may already run.
public sealed class FreshDatabaseApp : MessagingApp, IAsyncLifetime
{
    public CapturedLogs Logs { get; } = new();

    public string FreshConnectionString { get; private set; } = "";

    public new async Task DisposeAsync()
    {
        await base.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        await PostgresServer.DropDatabaseAsync(FreshConnectionString);
    }

    protected override void Configure(IDictionary<string, string?> settings)
    {
        base.Configure(settings);
        var fresh = new NpgsqlConnectionStringBuilder(settings["ConnectionStrings:Arena"]);
        fresh.Database += "_fresh";
        FreshConnectionString = fresh.ConnectionString;
        settings["ConnectionStrings:Arena"] = FreshConnectionString;
        // Probes as often as they can run, so that some fall into the start-up.
        settings["Arena:Gateway:HealthCheck:Interval"] = "00:00:00.050";
    }

    protected override void ConfigureServices(IServiceCollection services) => Logs.AddTo(services);
}

public sealed class QuietStartTests(FreshDatabaseApp app) : IClassFixture<FreshDatabaseApp>
{
    [Fact]
    public async Task Log_StartOnADatabaseNotYetCreated_NoErrorNoStackTrace()
    {
        using var client = app.As("fresh-start");
        var session = await app.CreateSessionAsync(client, MessagingApp.Fast);
        var (response, _) = await MessagingApp.StreamAsync(client, session, "First words");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.Anonymous().GetAsync("/health/ready")).StatusCode);

        var lines = app.Logs.Lines;
        var errors = lines.Where(l => l.StartsWith("Error ", StringComparison.Ordinal) || l.StartsWith("Critical ", StringComparison.Ordinal)).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors));
        Assert.DoesNotContain(lines, l => l.Contains("   at ", StringComparison.Ordinal));
    }
}
