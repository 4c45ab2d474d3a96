using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Arena.Bench;

/// A signing key the harness hands to the Arena it starts, the settings that go with it, and an HS256 bearer token signed with it.
internal sealed class BenchToken
{
    public const string Issuer = "arena-bench";
    public const string Audience = "arena-api";

    private readonly byte[] key = RandomNumberGenerator.GetBytes(32);

    public string KeyBase64 => Convert.ToBase64String(key);

    /// What every harness hands the Host it starts (production mode, the bench's database, this key, quiet logs), with
    /// the harness's own settings on top.
    public Dictionary<string, string> HostEnvironment(string connectionString, IEnumerable<KeyValuePair<string, string>> settings)
    {
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            // The same thread-pool setting as every other process of the bench (bench/Directory.Build.props): a knob for
            // a box the load generator shares, so it is the bench's to set, not the Host's to ship.
            ["DOTNET_ThreadPool_UnfairSemaphoreSpinLimit"] = "0",
            ["ConnectionStrings__Arena"] = connectionString,
            ["Authentication__Schemes__Bearer__ValidIssuer"] = Issuer,
            ["Authentication__Schemes__Bearer__ValidAudiences__0"] = Audience,
            ["Authentication__Schemes__Bearer__SigningKeys__0__Issuer"] = Issuer,
            ["Authentication__Schemes__Bearer__SigningKeys__0__Value"] = KeyBase64,
            ["Logging__LogLevel__Default"] = "Warning",
        };
        foreach (var (key, value) in settings)
        {
            environment[key] = value;
        }

        return environment;
    }

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
