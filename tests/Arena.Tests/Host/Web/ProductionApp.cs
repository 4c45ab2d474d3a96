using Arena.Tests.Support;

namespace Arena.Tests.Host.Web;

/// The Host in the Production environment, with a signing key and audience configured as a deployment would.
public sealed class ProductionApp : ArenaApp
{
    protected override string EnvironmentName => "Production";
}
