using Arena.Tests.Modules.Votes;

namespace Arena.Tests.Api;

/// The votes tests' Host (battles between two fast mocks, votes that count at once, a leaderboard recomputed within a
/// second, the pipeline header honoured) with a legacy pool of one stream, 20 stream requests a user a minute and one
/// stored leaderboard start date that an hour of use keeps, so that the documented 503s and 429 can be met.
public sealed class ContractApp : VotesApp
{
    public const int StreamRequestsPerMinute = 20;

    protected override void Configure(IDictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["Arena:Messaging:LegacyMaxConcurrentStreams"] = "1";
        settings["Arena:Limits:StreamRequestsPerMinute"] = $"{StreamRequestsPerMinute}";
        settings["Arena:Leaderboard:MaxSinceSnapshots"] = "1";
        settings["Arena:Leaderboard:SinceSnapshotMinimumLife"] = "01:00:00";
    }
}
