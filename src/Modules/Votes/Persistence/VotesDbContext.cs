using Arena.Modules.Votes.Domain;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Arena.Modules.Votes.Persistence;

internal sealed class VotesDbContext(DbContextOptions<VotesDbContext> options) : DbContext(options)
{
    public const string Schema = "votes";

    public DbSet<Vote> Votes => Set<Vote>();

    public DbSet<LeaderboardSnapshot> LeaderboardSnapshots => Set<LeaderboardSnapshot>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.HasDefaultSchema(Schema);
        modelBuilder.ApplyConfiguration(new VoteConfiguration());
        modelBuilder.Entity<LeaderboardSnapshot>(snapshot =>
        {
            snapshot.ToTable("leaderboard_snapshots");
            snapshot.HasKey(s => s.Key);
            snapshot.Property(s => s.Key).HasMaxLength(64);
            snapshot.Property(s => s.Body).HasColumnType("jsonb");
        });
    }
}

internal sealed class VoteConfiguration : IEntityTypeConfiguration<Vote>
{
    public void Configure(EntityTypeBuilder<Vote> vote)
    {
        vote.ToTable("votes");
        vote.HasKey(v => v.Id);
        vote.Property(v => v.Id).ValueGeneratedNever();
        vote.Property(v => v.OwnerId).HasMaxLength(256);
        vote.Property(v => v.JudgeHash).HasMaxLength(64);
        vote.Property(v => v.ModelA).HasMaxLength(200);
        vote.Property(v => v.ModelB).HasMaxLength(200);
        vote.Property(v => v.ModelC).HasMaxLength(200);
        vote.Property(v => v.ModelD).HasMaxLength(200);
        vote.Property(v => v.Winner).HasConversion(w => Names.Of(w), v => Names.Parse<Winner>(v)).HasMaxLength(16);
        vote.Property(v => v.Validity).HasConversion(w => Names.Of(w), v => Names.Parse<Validity>(v)).HasMaxLength(32);
        vote.Property(v => v.Sides).HasColumnType("jsonb");
        // Once per session, held by the database so that two concurrent votes cannot both land.
        vote.HasIndex(v => v.SessionId).IsUnique().HasDatabaseName(Vote.OnePerSessionIndex);
        vote.HasIndex(v => new { v.OwnerId, v.CreatedAt });
        vote.HasIndex(v => new { v.Validity, v.CreatedAt });
    }
}
