using Microsoft.Extensions.Options;

namespace Arena.BuildingBlocks.Settings;

/// The rules of one settings section for an <see cref="IValidateOptions{TOptions}"/>: every broken rule is collected, so
/// that the start-up refusal names all of them at once, each by its full configuration key.
public sealed class SettingChecks(string section)
{
    private readonly ValidateOptionsResultBuilder failures = new();

    public ValidateOptionsResult Result => failures.Build();

    public SettingChecks Positive(TimeSpan value, string name) => That(value > TimeSpan.Zero, name, "must be positive");

    public SettingChecks NotNegative(TimeSpan value, string name) => That(value >= TimeSpan.Zero, name, "must not be negative");

    public SettingChecks That(bool holds, string name, string rule)
    {
        if (!holds)
        {
            failures.AddError($"{section}:{name} {rule}");
        }

        return this;
    }
}
