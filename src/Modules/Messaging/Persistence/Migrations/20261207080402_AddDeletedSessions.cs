using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Arena.Modules.Messaging.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class AddDeletedSessions : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "deleted_sessions",
                schema: "messaging",
                columns: table => new
                {
                    session_id = table.Column<Guid>(type: "uuid", nullable: false),
                    deleted_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_deleted_sessions", x => x.session_id);
                });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "deleted_sessions",
                schema: "messaging");
        }
    }
}
