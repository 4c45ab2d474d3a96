using System.Net;
using Arena.Tests.Support;

namespace Arena.Tests.Modules.Messaging.Resume;

public sealed class UnreachableInstanceTests(UnreachableInstanceTests.UnreachableApp app) : IClassFixture<UnreachableInstanceTests.UnreachableApp>
{
    /// Both Hosts record an address where nothing listens, as a wrong InstanceAddress or a partitioned instance leaves.
    public sealed class UnreachableApp() : ResumeApp(ArenaAppPart.Settings(("Arena:Messaging:InstanceAddress", "http://127.0.0.1:9")));

    [Fact]
    public async Task Resume_TurnOfAnInstanceThatCannotBeReached_Answers409()
    {
        using var client = app.Hasty("resume-unreachable");
        var session = await app.CreateSessionAsync(client, ResumeApp.PacedA);
        using var started = await app.StartStalledTurnAsync(client, session);

        using var second = app.AtSecond("resume-unreachable");
        var response = await second.GetAsync($"/api/sessions/{session}/stream");

        var problem = await ProblemAssert.IsProblem(response, HttpStatusCode.Conflict);
        Assert.StartsWith("The turn is streaming on an instance that cannot be reached.", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync($"/api/sessions/{session}/stop", null)).StatusCode);
    }
}
