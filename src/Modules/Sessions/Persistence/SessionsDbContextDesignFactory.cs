using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Npgsql;

namespace Arena.Modules.Sessions.Persistence;

/// Lets `dotnet ef migrations add` build the model without a running Host or database.
internal sealed class SessionsDbContextDesignFactory : IDesignTimeDbContextFactory<SessionsDbContext>
{
    public SessionsDbContext CreateDbContext(string[] args) =>
        new((DbContextOptions<SessionsDbContext>)SessionsPersistence.Configure(new DbContextOptionsBuilder<SessionsDbContext>(), NpgsqlDataSource.Create("Host=localhost;Database=arena_design")).Options);
}
