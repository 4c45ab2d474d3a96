using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Arena.Bench;

/// A signing key the harness hands to the Arena it starts, and an HS256 bearer token signed with it.
internal sealed class BenchToken
{
    public const string Issuer = "arena-bench";
    public const string Audience = "arena-api";

    private readonly byte[] key = RandomNumberGenerator.GetBytes(32);

    public string KeyBase64 => Convert.ToBase64String(key);

    public string For(string subject)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var header = Base64Url(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["alg"] = "HS256", ["typ"] = "JWT" }));
        var payload = Base64Url(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["sub"] = subject,
            ["iss"] = Issuer,
            ["aud"] = Audience,
            ["iat"] = now,
            ["nbf"] = now - 60,
            ["exp"] = now + 24 * 3600,
        }));
        var signature = Base64Url(HMACSHA256.HashData(key, Encoding.ASCII.GetBytes(header + "." + payload)));
        return header + "." + payload + "." + signature;
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
