using Arena.Modules.Sessions.Domain;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Arena.Modules.Sessions.Persistence;

internal sealed class SessionsDbContext(DbContextOptions<SessionsDbContext> options) : DbContext(options)
{
    public const string Schema = "sessions";

    public DbSet<ChatSession> Sessions => Set<ChatSession>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.HasDefaultSchema(Schema);
        modelBuilder.ApplyConfiguration(new ChatSessionConfiguration());
    }
}

internal sealed class ChatSessionConfiguration : IEntityTypeConfiguration<ChatSession>
{
    public void Configure(EntityTypeBuilder<ChatSession> session)
    {
        session.ToTable("sessions");
        session.HasKey(s => s.Id);
        session.Property(s => s.Id).ValueGeneratedNever();
        session.Property(s => s.OwnerId).HasMaxLength(256);
        session.Property(s => s.Mode).HasConversion(mode => mode.ToString().ToLowerInvariant(), value => Enum.Parse<SessionMode>(value, true)).HasMaxLength(16);
        session.Property(s => s.ModelA).HasMaxLength(200);
        session.Property(s => s.ModelB).HasMaxLength(200);
        session.Property(s => s.ModelC).HasMaxLength(200);
        session.Property(s => s.ModelD).HasMaxLength(200);
        session.Property(s => s.Title).HasMaxLength(ChatSession.TitleMaxLength);
        session.Ignore(s => s.HidesModels);
        session.Ignore(s => s.Models);
        session.Ignore(s => s.Info);
        // Serves "my sessions, most recently active first" and its keyset paging without a sort.
        session.HasIndex(s => new { s.OwnerId, s.UpdatedAt, s.Id }).IsDescending(false, true, true);
    }
}
