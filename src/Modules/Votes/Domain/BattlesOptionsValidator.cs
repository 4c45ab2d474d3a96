using Arena.BuildingBlocks.Settings;
using Microsoft.Extensions.Options;

namespace Arena.Modules.Votes.Domain;

internal sealed class BattlesOptionsValidator : IValidateOptions<BattlesOptions>
{
    public ValidateOptionsResult Validate(string? name, BattlesOptions options) =>
        new SettingChecks(BattlesOptions.SectionName)
            .NotNegative(options.MinReadingTime, nameof(options.MinReadingTime))
            .Result;
}
