using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Arena.Tests.Host;

public sealed class AuthenticationConfigurationTests
{
    [Fact]
    public void Startup_ProductionWithoutSigningKeys_FailsNamingTheSetting()
    {
        using var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(host =>
        {
            host.UseEnvironment("Production");
            host.ConfigureAppConfiguration((_, configuration) => configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                // Never reached: the host must refuse to start before it touches the database.
                ["ConnectionStrings:Arena"] = "Host=127.0.0.1;Port=1;Database=none",
                ["Arena:Database:MigrateOnStartup"] = "false",
            }));
        });

        var exception = Assert.Throws<OptionsValidationException>(() => factory.Services);

        Assert.Contains("Authentication:Schemes:Bearer", exception.Message, StringComparison.Ordinal);
    }
}
