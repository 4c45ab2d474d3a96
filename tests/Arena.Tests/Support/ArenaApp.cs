using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Arena.Tests.Support;

/// The real Host on Kestrel over loopback, with its own fresh PostgreSQL database. One per test class.
public class ArenaApp : IAsyncLifetime
{
    private readonly ArenaAppPart[] parts;
    private WebApplicationFactory<Program>? factory;

    public ArenaApp()
        : this([])
    {
    }

    /// A Host composed of <paramref name="parts"/>, applied in order after <see cref="Configure"/> and <see cref="ConfigureServices"/>:
    /// what a fixture adds to its base has the last word.
    protected ArenaApp(params ArenaAppPart[] parts)
    {
        this.parts = parts;
    }

    public string ConnectionString { get; private set; } = "";

    public Uri BaseAddress { get; private set; } = null!;

    public IServiceProvider Services => factory!.Services;

    protected virtual string EnvironmentName => "Testing";

    protected virtual void Configure(IDictionary<string, string?> settings)
    {
    }

    /// Adds to the Host's services before it starts (an in-memory exporter, a log capture).
    protected virtual void ConfigureServices(IServiceCollection services)
    {
    }

    public async Task InitializeAsync()
    {
        ConnectionString = await PostgresServer.CreateDatabaseAsync();
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Arena"] = ConnectionString,
            ["Authentication:Schemes:Bearer:ValidIssuer"] = TestTokens.Issuer,
            ["Authentication:Schemes:Bearer:ValidAudiences:0"] = TestTokens.Audience,
            [TestTokens.KeyIssuerSetting] = TestTokens.Issuer,
            [TestTokens.KeyValueSetting] = TestTokens.SigningKey,
            // A fixture disposed with turns still running (resumable ones outlive their clients) ends them within a second.
            ["Arena:Messaging:DrainTimeout"] = "00:00:01",
        };
        Configure(settings);
        foreach (var part in parts)
        {
            part.Configure(settings);
        }

        factory = new WebApplicationFactory<Program>().WithWebHostBuilder(host =>
        {
            host.UseEnvironment(EnvironmentName);
            host.ConfigureAppConfiguration((_, configuration) => configuration.AddInMemoryCollection(settings));
            host.ConfigureServices(AddServices);
        });
        factory.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        factory.StartServer();
        var address = factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseAddress = new Uri(address);
    }

    /// The services of <see cref="ConfigureServices"/>, then of this fixture's parts: for a second Host that must match the first.
    protected void AddServices(IServiceCollection services)
    {
        ConfigureServices(services);
        foreach (var part in parts)
        {
            part.ConfigureServices(services);
        }
    }

    public HttpClient Anonymous() => new() { BaseAddress = BaseAddress };

    public HttpClient As(string user)
    {
        var client = Anonymous();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TestTokens.For(user));
        return client;
    }

    public async Task DisposeAsync()
    {
        if (factory is not null)
        {
            await factory.DisposeAsync();
        }

        await PostgresServer.DropDatabaseAsync(ConnectionString);
        foreach (var part in parts)
        {
            await part.DisposeAsync();
        }
    }
}
