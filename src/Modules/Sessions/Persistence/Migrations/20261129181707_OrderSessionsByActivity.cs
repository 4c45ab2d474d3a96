using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Arena.Modules.Sessions.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class OrderSessionsByActivity : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_sessions_owner_id_created_at_id",
                schema: "sessions",
                table: "sessions");

            migrationBuilder.CreateIndex(
                name: "ix_sessions_owner_id_updated_at_id",
                schema: "sessions",
                table: "sessions",
                columns: new[] { "owner_id", "updated_at", "id" },
                descending: new[] { false, true, true });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_sessions_owner_id_updated_at_id",
                schema: "sessions",
                table: "sessions");

            migrationBuilder.CreateIndex(
                name: "ix_sessions_owner_id_created_at_id",
                schema: "sessions",
                table: "sessions",
                columns: new[] { "owner_id", "created_at", "id" },
                descending: new[] { false, true, true });
        }
    }
}
