using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Arena.Host.Gateway;

/// The proof that a request to /api/pipelines/** came through the gateway rather than from a client.
internal sealed class GatewaySecret
{
    public const string Header = "X-Arena-Gateway-Secret";

    private readonly byte[] bytes;

    public GatewaySecret(IOptions<GatewayOptions> options)
    {
        Value = string.IsNullOrEmpty(options.Value.InternalSecret)
            ? Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))
            : options.Value.InternalSecret;
        bytes = Encoding.UTF8.GetBytes(Value);
    }

    public string Value { get; }

    public bool Matches(string? presented) =>
        presented is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), bytes);
}
