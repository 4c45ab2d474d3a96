using Arena.Tests.Support;

namespace Arena.Tests.Modules.Providers;

/// The Host with its shipped catalog and no provider key anywhere (not even in the environment).
public sealed class NoKeysApp : ArenaApp
{
    protected override void Configure(IDictionary<string, string?> settings)
    {
        settings["Arena:Providers:openai:ApiKeyEnvironmentVariable"] = "";
        settings["Arena:Providers:anthropic:ApiKeyEnvironmentVariable"] = "";
    }
}
