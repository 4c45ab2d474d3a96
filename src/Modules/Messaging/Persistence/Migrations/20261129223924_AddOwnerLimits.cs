using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Arena.Modules.Messaging.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class AddOwnerLimits : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "owner_id",
                schema: "messaging",
                table: "messages",
                type: "character varying(200)",
                maxLength: 200,
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "ix_messages_requests_by_owner",
                schema: "messaging",
                table: "messages",
                columns: new[] { "owner_id", "created_at" },
                filter: "role = 'user'");

            migrationBuilder.CreateIndex(
                name: "ix_messages_running_turns_by_owner",
                schema: "messaging",
                table: "messages",
                column: "owner_id",
                filter: "status = 'streaming' AND participant = 'a'");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_messages_requests_by_owner",
                schema: "messaging",
                table: "messages");

            migrationBuilder.DropIndex(
                name: "ix_messages_running_turns_by_owner",
                schema: "messaging",
                table: "messages");

            migrationBuilder.DropColumn(
                name: "owner_id",
                schema: "messaging",
                table: "messages");
        }
    }
}
