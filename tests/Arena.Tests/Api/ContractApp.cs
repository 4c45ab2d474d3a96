using Arena.Tests.Modules.Votes;

namespace Arena.Tests.Api;

/// The votes tests' Host (battles between two fast mocks, votes that count at once, a leaderboard recomputed within a
/// second, the pipeline header honoured) with a legacy pool of one stream, so that the documented 503 can be met.
public sealed class ContractApp : VotesApp
{
    protected override void Configure(IDictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["Arena:Messaging:LegacyMaxConcurrentStreams"] = "1";
    }
}
