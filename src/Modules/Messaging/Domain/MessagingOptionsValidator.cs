using Arena.BuildingBlocks.Settings;
using Microsoft.Extensions.Options;

namespace Arena.Modules.Messaging.Domain;

internal sealed class MessagingOptionsValidator : IValidateOptions<MessagingOptions>
{
    public ValidateOptionsResult Validate(string? name, MessagingOptions options) =>
        new SettingChecks(MessagingOptions.SectionName)
            .Positive(options.PartialFlushInterval, nameof(options.PartialFlushInterval))
            .Positive(options.KeepAliveInterval, nameof(options.KeepAliveInterval))
            .Positive(options.FinalWriteTimeout, nameof(options.FinalWriteTimeout))
            .Positive(options.FinalWriteWait, nameof(options.FinalWriteWait))
            .NotNegative(options.DrainTimeout, nameof(options.DrainTimeout))
            .Positive(options.ResumeGrace, nameof(options.ResumeGrace))
            .Positive(options.ResumeRetention, nameof(options.ResumeRetention))
            .Positive(options.StreamHostHeartbeat, nameof(options.StreamHostHeartbeat))
            .That(options.StreamHostLease > 2 * options.StreamHostHeartbeat, nameof(options.StreamHostLease), "must be more than twice StreamHostHeartbeat")
            .Result;
}
