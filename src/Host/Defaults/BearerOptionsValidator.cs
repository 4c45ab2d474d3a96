using Arena.BuildingBlocks.Settings;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;

namespace Arena.Host.Defaults;

/// Without these every token is refused at request time; the Host says so at start-up instead.
internal sealed class BearerOptionsValidator : IValidateOptions<JwtBearerOptions>
{
    public ValidateOptionsResult Validate(string? name, JwtBearerOptions options)
    {
        if (name != JwtBearerDefaults.AuthenticationScheme)
        {
            return ValidateOptionsResult.Skip;
        }

        var parameters = options.TokenValidationParameters;
        var hasKeys = !string.IsNullOrEmpty(options.Authority) || !string.IsNullOrEmpty(options.MetadataAddress)
            || options.Configuration is not null || options.ConfigurationManager is not null
            || parameters.IssuerSigningKey is not null || parameters.IssuerSigningKeys?.Any() == true || parameters.IssuerSigningKeyResolver is not null;
        var hasAudience = !parameters.ValidateAudience || !string.IsNullOrEmpty(parameters.ValidAudience) || parameters.ValidAudiences?.Any() == true;
        return new SettingChecks(ServiceDefaults.BearerSection)
            .That(hasKeys, "SigningKeys", "must be set, or an Authority or a MetadataAddress (see docs/configuration.md)")
            .That(hasAudience, "ValidAudiences", "must be set (see docs/configuration.md)")
            .Result;
    }
}
