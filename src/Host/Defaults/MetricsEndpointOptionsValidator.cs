using System.Net;
using Arena.BuildingBlocks.Settings;
using Microsoft.Extensions.Options;

namespace Arena.Host.Defaults;

internal sealed class MetricsEndpointOptionsValidator : IValidateOptions<MetricsEndpointOptions>
{
    public ValidateOptionsResult Validate(string? name, MetricsEndpointOptions options) =>
        new SettingChecks(MetricsEndpointOptions.Section)
            .That(options.Path.StartsWith('/'), nameof(options.Path), "must start with '/'")
            .That(options.Port is null or (> 0 and <= 65535), nameof(options.Port), "must be between 1 and 65535")
            .That(options.AllowedNetworks.All(network => IPNetwork.TryParse(network, out _)), nameof(options.AllowedNetworks), "must be CIDR blocks, such as 10.0.0.0/8")
            .Result;
}
