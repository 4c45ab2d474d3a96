using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Arena.BuildingBlocks.Settings;

/// The DataAnnotations of a settings section, each broken one named by its configuration key as <see cref="SettingChecks"/>
/// names its rules: the framework's own validator names the options class instead, which an operator never sees.
internal sealed class AnnotatedSettings<TOptions>(string section) : IValidateOptions<TOptions>
    where TOptions : class
{
    public ValidateOptionsResult Validate(string? name, TOptions options)
    {
        var broken = new List<ValidationResult>();
        if (Validator.TryValidateObject(options, new ValidationContext(options), broken, validateAllProperties: true))
        {
            return ValidateOptionsResult.Success;
        }

        return ValidateOptionsResult.Fail(broken.Select(result =>
            $"{section}:{string.Join(", ", result.MemberNames)}: {result.ErrorMessage}"));
    }
}
