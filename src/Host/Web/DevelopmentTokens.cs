using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Arena.Host.Web;

/// Development only: <c>POST /dev/token</c> signs a bearer token for a name a person types, with the very key the Host's
/// bearer handler validates with (the one `dotnet user-jwts` keeps in user secrets), so such a token and one from
/// `dotnet user-jwts create --name alice` are interchangeable. Outside Development the route does not exist.
internal static class DevelopmentTokens
{
    public const string Path = "/dev/token";
    public const int NameMaxLength = 64;
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(12);

    internal sealed record Body(string? Name);

    internal sealed record Response(string Token, string Subject, DateTimeOffset ExpiresAt);

    public static void AddDevelopmentTokens(this IHostApplicationBuilder builder)
    {
        // The Host also trusts one random key of its own, made once so that the options rebuilt on a configuration reload
        // keep it. On a fresh machine `dotnet user-jwts` has not written a key yet, so the page signs people in with this
        // one; once a configured key appears the page signs with that, and tokens signed with this one work until the
        // process ends.
        var ownKey = new SymmetricSecurityKey(RandomNumberGenerator.GetBytes(32)) { KeyId = "arena-development" };
        builder.Services.PostConfigure<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme, options =>
            options.TokenValidationParameters.IssuerSigningKeys = [.. options.TokenValidationParameters.IssuerSigningKeys ?? [], ownKey]);
    }

    public static void MapDevelopmentTokens(this IEndpointRouteBuilder app) =>
        app.MapPost(Path, Results<Ok<Response>, ValidationProblem> (Body? body, IOptionsMonitor<JwtBearerOptions> bearer, TimeProvider clock) =>
            {
                var name = body?.Name?.Trim() ?? "";
                var problem = name switch
                {
                    { Length: 0 } => "'name' is required.",
                    { Length: > NameMaxLength } => $"'name' must be at most {NameMaxLength} characters.",
                    _ when name.Any(char.IsControl) => "'name' must not contain control characters.",
                    _ => null,
                };
                if (problem is not null)
                {
                    return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["name"] = [problem] });
                }

                var parameters = bearer.Get(JwtBearerDefaults.AuthenticationScheme).TokenValidationParameters;
                var key = parameters.IssuerSigningKey as SymmetricSecurityKey ?? parameters.IssuerSigningKeys.OfType<SymmetricSecurityKey>().First();
                var now = clock.GetUtcNow();
                var expires = now + Lifetime;
                var token = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
                {
                    Issuer = parameters.ValidIssuers?.FirstOrDefault() ?? parameters.ValidIssuer,
                    Audience = parameters.ValidAudiences?.FirstOrDefault() ?? parameters.ValidAudience,
                    Subject = new ClaimsIdentity([new Claim("sub", name), new Claim("name", name)]),
                    IssuedAt = now.UtcDateTime,
                    NotBefore = now.UtcDateTime,
                    Expires = expires.UtcDateTime,
                    SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.HmacSha256),
                });
                return TypedResults.Ok(new Response(token, name, expires));
            })
            .AllowAnonymous()
            .ExcludeFromDescription();
}
