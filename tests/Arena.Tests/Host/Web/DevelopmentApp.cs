using Arena.Tests.Support;

namespace Arena.Tests.Host.Web;

/// The Host in the Development environment, trusting the tests' signing key the way it trusts the user-jwts key.
public sealed class DevelopmentApp : ArenaApp
{
    protected override string EnvironmentName => "Development";
}
