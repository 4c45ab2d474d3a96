using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Arena.Modules.Messaging.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class AddStreamHostLease : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<Guid>(
                name: "stream_host_id",
                schema: "messaging",
                table: "messages",
                type: "uuid",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "stream_hosts",
                schema: "messaging",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    started_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    heartbeat_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_stream_hosts", x => x.id);
                });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "stream_hosts",
                schema: "messaging");

            migrationBuilder.DropColumn(
                name: "stream_host_id",
                schema: "messaging",
                table: "messages");
        }
    }
}
