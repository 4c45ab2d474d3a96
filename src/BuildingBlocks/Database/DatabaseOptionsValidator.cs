using Arena.BuildingBlocks.Settings;
using Microsoft.Extensions.Options;

namespace Arena.BuildingBlocks.Database;

internal sealed class DatabaseOptionsValidator : IValidateOptions<DatabaseOptions>
{
    // Npgsql refuses a longer connect timeout, and would say so only when the first connection is opened.
    private static readonly TimeSpan LongestConnectTimeout = TimeSpan.FromSeconds(1024);

    public ValidateOptionsResult Validate(string? name, DatabaseOptions options) =>
        new SettingChecks(DatabaseOptions.Section)
            .Positive(options.ConnectTimeout, nameof(options.ConnectTimeout))
            .That(options.ConnectTimeout <= LongestConnectTimeout, nameof(options.ConnectTimeout), $"must be at most {LongestConnectTimeout}")
            .Positive(options.CommandTimeout, nameof(options.CommandTimeout))
            .Result;
}
