using System.Net;
using System.Security.Cryptography;
using Arena.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Arena.Tests.Host.Web;

/// Signing keys that change while the Host runs: `dotnet user-jwts create` after `./scripts/run.sh` on a fresh machine,
/// and a rotated key outside Development. Each fixture is this class's own, since the tests change its configuration.
public sealed class BearerKeyReloadTests(KeylessDevelopmentApp keyless, ArenaApp rotating)
    : IClassFixture<KeylessDevelopmentApp>, IClassFixture<ArenaApp>
{
    [Fact]
    public async Task DevelopmentKey_WrittenWhileRunning_IsTrustedWithoutARestart()
    {
        using var early = keyless.As("late-ada");
        Assert.Equal(HttpStatusCode.Unauthorized, (await early.GetAsync("/api/models")).StatusCode);
        using var signedIn = DevelopmentTokenTests.WithToken(keyless, await DevelopmentTokenTests.MintAsync(keyless, "page-ada"));
        Assert.Equal(HttpStatusCode.OK, (await signedIn.GetAsync("/api/models")).StatusCode);

        Reload(keyless, (TestTokens.KeyIssuerSetting, TestTokens.Issuer), (TestTokens.KeyValueSetting, TestTokens.SigningKey));

        using var late = keyless.As("late-ada");
        Assert.Equal(HttpStatusCode.OK, (await late.GetAsync("/api/models")).StatusCode);
        // Whoever signed in on the page before the key appeared stays signed in, and the page now signs with the new key.
        Assert.Equal(HttpStatusCode.OK, (await signedIn.GetAsync("/api/models")).StatusCode);
        var freshToken = await DevelopmentTokenTests.MintAsync(keyless, "page-bob");
        var signedWithNewKey = await new JsonWebTokenHandler().ValidateTokenAsync(freshToken, new TokenValidationParameters
        {
            ValidateIssuer = false,
            ValidateAudience = false,
            IssuerSigningKey = new SymmetricSecurityKey(Convert.FromBase64String(TestTokens.SigningKey)),
        });
        Assert.True(signedWithNewKey.IsValid);
        using var fresh = DevelopmentTokenTests.WithToken(keyless, freshToken);
        Assert.Equal(HttpStatusCode.OK, (await fresh.GetAsync("/api/models")).StatusCode);
    }

    [Fact]
    public async Task SigningKey_RotatedInConfiguration_ReplacesTheOldOneWithoutARestart()
    {
        using var before = rotating.As("rotating-ada");
        Assert.Equal(HttpStatusCode.OK, (await before.GetAsync("/api/models")).StatusCode);
        var rotated = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

        Reload(rotating, (TestTokens.KeyValueSetting, rotated));

        Assert.Equal(HttpStatusCode.Unauthorized, (await before.GetAsync("/api/models")).StatusCode);
        using var after = DevelopmentTokenTests.WithToken(rotating, TestTokens.For("rotating-ada", key: rotated));
        Assert.Equal(HttpStatusCode.OK, (await after.GetAsync("/api/models")).StatusCode);
    }

    // What a configuration file's reload does: new values, then the change notification.
    private static void Reload(ArenaApp app, params (string Key, string Value)[] settings)
    {
        var configuration = (IConfigurationRoot)app.Services.GetRequiredService<IConfiguration>();
        foreach (var (key, value) in settings)
        {
            configuration[key] = value;
        }

        configuration.Reload();
    }
}
