using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Arena.Modules.Votes.Domain;

/// HMAC-SHA256 of the judge's subject: the export can group a judge's votes without naming the judge, and nobody
/// without the key can test a guessed subject against it.
internal sealed class JudgeHash(IOptions<BattlesOptions> options)
{
    private readonly byte[] key = string.IsNullOrEmpty(options.Value.JudgeHashKey)
        ? RandomNumberGenerator.GetBytes(32)
        : Encoding.UTF8.GetBytes(options.Value.JudgeHashKey);

    public string Of(string subject) => Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(subject)));
}
