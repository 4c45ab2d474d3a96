using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Npgsql;

namespace Arena.Modules.Messaging.Persistence;

/// Lets `dotnet ef migrations add` build the model without a running Host or database.
internal sealed class MessagingDbContextDesignFactory : IDesignTimeDbContextFactory<MessagingDbContext>
{
    public MessagingDbContext CreateDbContext(string[] args) =>
        new((DbContextOptions<MessagingDbContext>)MessagingPersistence.Configure(new DbContextOptionsBuilder<MessagingDbContext>(), NpgsqlDataSource.Create("Host=localhost;Database=arena_design")).Options);
}
