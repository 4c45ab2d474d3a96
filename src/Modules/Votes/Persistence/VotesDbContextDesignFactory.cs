using Arena.BuildingBlocks.Database;
using Microsoft.EntityFrameworkCore.Design;

namespace Arena.Modules.Votes.Persistence;

/// Lets `dotnet ef migrations add` build the model without a running Host or database.
internal sealed class VotesDbContextDesignFactory : IDesignTimeDbContextFactory<VotesDbContext>
{
    public VotesDbContext CreateDbContext(string[] args) => new(ModuleDatabase.DesignTimeOptions<VotesDbContext>(VotesDbContext.Schema));
}
