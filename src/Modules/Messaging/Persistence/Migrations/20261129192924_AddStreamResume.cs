using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Arena.Modules.Messaging.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class AddStreamResume : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "address",
                schema: "messaging",
                table: "stream_hosts",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "stream_positions",
                schema: "messaging",
                table: "messages",
                type: "jsonb",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "address",
                schema: "messaging",
                table: "stream_hosts");

            migrationBuilder.DropColumn(
                name: "stream_positions",
                schema: "messaging",
                table: "messages");
        }
    }
}
