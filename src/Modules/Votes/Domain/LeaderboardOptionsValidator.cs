using Arena.BuildingBlocks.Settings;
using Microsoft.Extensions.Options;

namespace Arena.Modules.Votes.Domain;

internal sealed class LeaderboardOptionsValidator : IValidateOptions<LeaderboardOptions>
{
    public ValidateOptionsResult Validate(string? name, LeaderboardOptions options) =>
        new SettingChecks(LeaderboardOptions.SectionName)
            .Positive(options.RefreshInterval, nameof(options.RefreshInterval))
            .NotNegative(options.SinceSnapshotMinimumLife, nameof(options.SinceSnapshotMinimumLife))
            .Result;
}
