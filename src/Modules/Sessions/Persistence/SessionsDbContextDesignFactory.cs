using Arena.BuildingBlocks.Database;
using Microsoft.EntityFrameworkCore.Design;

namespace Arena.Modules.Sessions.Persistence;

/// Lets `dotnet ef migrations add` build the model without a running Host or database.
internal sealed class SessionsDbContextDesignFactory : IDesignTimeDbContextFactory<SessionsDbContext>
{
    public SessionsDbContext CreateDbContext(string[] args) => new(ModuleDatabase.DesignTimeOptions<SessionsDbContext>(SessionsDbContext.Schema));
}
