using System.Security.Claims;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Arena.Tests.Support;

/// Signs bearer tokens the way an identity provider would, with a key only the test Host trusts.
internal static class TestTokens
{
    public const string Issuer = "arena-tests";
    public const string Audience = "arena-api";
    public static readonly string SigningKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    /// Where the Host reads the signing key (the layout `dotnet user-jwts` writes).
    public const string KeyIssuerSetting = "Authentication:Schemes:Bearer:SigningKeys:0:Issuer";
    public const string KeyValueSetting = "Authentication:Schemes:Bearer:SigningKeys:0:Value";

    public static string For(string subject, string? issuer = null, DateTime? expires = null, string? key = null)
    {
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = issuer ?? Issuer,
            Audience = Audience,
            Subject = new ClaimsIdentity([new Claim("sub", subject)]),
            NotBefore = (expires ?? DateTime.UtcNow.AddHours(1)).AddHours(-2),
            Expires = expires ?? DateTime.UtcNow.AddHours(1),
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Convert.FromBase64String(key ?? SigningKey)), SecurityAlgorithms.HmacSha256),
        };
        return new JsonWebTokenHandler().CreateToken(descriptor);
    }
}
