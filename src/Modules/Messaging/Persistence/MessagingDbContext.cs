using Arena.Modules.Messaging.Domain;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Arena.Modules.Messaging.Persistence;

internal sealed class MessagingDbContext(DbContextOptions<MessagingDbContext> options) : DbContext(options)
{
    public const string Schema = "messaging";

    public DbSet<Message> Messages => Set<Message>();

    public DbSet<StreamHost> StreamHosts => Set<StreamHost>();

    public DbSet<DeletedSession> DeletedSessions => Set<DeletedSession>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.HasDefaultSchema(Schema);
        modelBuilder.ApplyConfiguration(new MessageConfiguration());
        modelBuilder.Entity<StreamHost>(host =>
        {
            host.ToTable("stream_hosts");
            host.HasKey(h => h.Id);
            host.Property(h => h.Id).ValueGeneratedNever();
        });
        modelBuilder.Entity<DeletedSession>(deleted =>
        {
            deleted.ToTable("deleted_sessions");
            deleted.HasKey(d => d.SessionId);
            deleted.Property(d => d.SessionId).ValueGeneratedNever();
        });
    }
}

internal sealed class MessageConfiguration : IEntityTypeConfiguration<Message>
{
    public void Configure(EntityTypeBuilder<Message> message)
    {
        message.ToTable("messages");
        message.HasKey(m => m.Id);
        message.Property(m => m.Id).ValueGeneratedNever();
        message.Property(m => m.Role).HasConversion(r => r.ToString().ToLowerInvariant(), v => Enum.Parse<MessageRole>(v, true)).HasMaxLength(16);
        // The same spelling as the hot path's plain SQL writes (tool_calls), read back whichever way an older row spelled it.
        message.Property(m => m.Status).HasConversion(s => WireNames.Of(s), v => WireNames.StatusOf(v)).HasMaxLength(16);
        message.Property(m => m.Participant).HasConversion(p => p.ToString()!.ToLowerInvariant(), v => Enum.Parse<Participant>(v, true)).HasMaxLength(1);
        message.Property(m => m.Model).HasMaxLength(200);
        message.Property(m => m.Metadata).HasColumnType("jsonb");
        // json, not jsonb: nothing queries inside it, and jsonb's binary numbers are several times larger than their
        // text, enough to push a long turn's row past the TOAST threshold, where every update compresses it (the commit
        // that chose json has the figures).
        message.Property(m => m.StreamPositions).HasColumnType("json");
        message.HasIndex(m => new { m.SessionId, m.CreatedAt });
        message.Property(m => m.OwnerId).HasMaxLength(200);
        // What the per-user limits count at every turn's start: a user's running turns, and their recent requests.
        message.HasIndex(m => m.OwnerId).HasFilter("status = 'streaming' AND participant = 'a'").HasDatabaseName("ix_messages_running_turns_by_owner");
        message.HasIndex(m => new { m.OwnerId, m.CreatedAt }).HasFilter("role = 'user'").HasDatabaseName("ix_messages_requests_by_owner");
        // The "one stream at a time per session" rule lives in the database so that it holds across requests and instances:
        // a second start fails on insert. The stream-host sweep releases rows a dead process left behind.
        message.Property(m => m.IdempotencyKey).HasMaxLength(255);
        message.Property(m => m.RequestHash).HasMaxLength(64);
        message.HasIndex(m => new { m.SessionId, m.IdempotencyKey })
            .IsUnique()
            .HasFilter("idempotency_key IS NOT NULL")
            .HasDatabaseName(Message.IdempotencyKeyIndex);
        message.HasIndex(m => new { m.SessionId, m.Participant })
            .IsUnique()
            .HasFilter("status = 'streaming'")
            .HasDatabaseName(Message.OneStreamPerSessionIndex);
    }
}
