using Arena.BuildingBlocks.Database;
using Microsoft.EntityFrameworkCore.Design;

namespace Arena.Modules.Messaging.Persistence;

/// Lets `dotnet ef migrations add` build the model without a running Host or database.
internal sealed class MessagingDbContextDesignFactory : IDesignTimeDbContextFactory<MessagingDbContext>
{
    public MessagingDbContext CreateDbContext(string[] args) => new(ModuleDatabase.DesignTimeOptions<MessagingDbContext>(MessagingDbContext.Schema));
}
