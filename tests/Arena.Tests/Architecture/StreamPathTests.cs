using Arena.Modules.Sessions;
using Microsoft.EntityFrameworkCore;

namespace Arena.Tests.Architecture;

public sealed class StreamPathTests
{
    /// The session lookup runs inside every stream request, and what it is given lives as long as the stream: a context
    /// there stays leased from the pool for the stream's whole length, and past the pool's size every stream builds one
    /// (the 4,000-stream soak held about 5,000 of them, 30 KB of each held stream).
    [Fact]
    public void SessionLookup_RunOnEveryTurn_TakesNoDbContext()
    {
        var handler = typeof(SessionsModule).Assembly.GetTypes().Single(t => t.Name == "RecordSessionActivityHandler");

        var parameters = handler.GetConstructors().SelectMany(c => c.GetParameters()).ToList();

        Assert.NotEmpty(parameters);
        Assert.DoesNotContain(parameters, p => typeof(DbContext).IsAssignableFrom(p.ParameterType));
    }
}
