using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.WebUtilities;

namespace Arena.Host.Defaults;

/// An identity provider decides how long its subjects are and what they contain, and the modules store the subject as
/// the owner of every row, in columns and indexes of bounded width that hold text only. A subject longer than those, or
/// one that is not one line of valid text (a NUL, a lone surrogate), is stood for by its SHA-256 digest, made as the
/// token is validated, so that every module sees a storable subject and the same user always the same one.
internal static class LongSubjects
{
    /// The narrowest owner column of any module.
    public const int MaxLength = 200;

    public const string DigestPrefix = "sha256:";

    public static Task ShortenAsync(TokenValidatedContext context)
    {
        if (context.Principal?.Identity is ClaimsIdentity identity && identity.FindFirst("sub") is { } subject
            && (subject.Value.Length > MaxLength || !TextFields.IsSingleLineText(subject.Value)))
        {
            identity.RemoveClaim(subject);
            identity.AddClaim(new Claim("sub", Digest(subject.Value), subject.ValueType, subject.Issuer, subject.OriginalIssuer));
        }

        return Task.CompletedTask;
    }

    public static string Digest(string subject) => DigestPrefix + WebEncoders.Base64UrlEncode(SHA256.HashData(Encoding.UTF8.GetBytes(subject)));
}
