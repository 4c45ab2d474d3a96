using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Arena.Modules.Votes.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class CreateVotes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.EnsureSchema(
                name: "votes");

            migrationBuilder.CreateTable(
                name: "leaderboard_snapshots",
                schema: "votes",
                columns: table => new
                {
                    key = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    body = table.Column<string>(type: "jsonb", nullable: true),
                    includes_votes_until = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    computed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    requested_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_leaderboard_snapshots", x => x.key);
                });

            migrationBuilder.CreateTable(
                name: "votes",
                schema: "votes",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    session_id = table.Column<Guid>(type: "uuid", nullable: false),
                    owner_id = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    judge_hash = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    model_a = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    model_b = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    winner = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    anonymous = table.Column<bool>(type: "boolean", nullable: false),
                    validity = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    turns = table.Column<int>(type: "integer", nullable: false),
                    sides = table.Column<string>(type: "jsonb", nullable: false),
                    output_tokens_a = table.Column<long>(type: "bigint", nullable: false),
                    output_tokens_b = table.Column<long>(type: "bigint", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_votes", x => x.id);
                });

            migrationBuilder.CreateIndex(
                name: "ix_votes_owner_id_created_at",
                schema: "votes",
                table: "votes",
                columns: new[] { "owner_id", "created_at" });

            migrationBuilder.CreateIndex(
                name: "ix_votes_session_id",
                schema: "votes",
                table: "votes",
                column: "session_id",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_votes_validity_created_at",
                schema: "votes",
                table: "votes",
                columns: new[] { "validity", "created_at" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "leaderboard_snapshots",
                schema: "votes");

            migrationBuilder.DropTable(
                name: "votes",
                schema: "votes");
        }
    }
}
