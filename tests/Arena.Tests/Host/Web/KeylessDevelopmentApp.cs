using Arena.Tests.Support;

namespace Arena.Tests.Host.Web;

/// The Host in Development on a machine where `dotnet user-jwts` never ran: issuer and audience set, no signing key.
public sealed class KeylessDevelopmentApp : ArenaApp
{
    protected override string EnvironmentName => "Development";

    protected override void Configure(IDictionary<string, string?> settings)
    {
        settings.Remove(TestTokens.KeyIssuerSetting);
        settings.Remove(TestTokens.KeyValueSetting);
    }
}
