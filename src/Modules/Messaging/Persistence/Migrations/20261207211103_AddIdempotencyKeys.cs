using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Arena.Modules.Messaging.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class AddIdempotencyKeys : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "idempotency_key",
                schema: "messaging",
                table: "messages",
                type: "character varying(255)",
                maxLength: 255,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "request_hash",
                schema: "messaging",
                table: "messages",
                type: "character varying(64)",
                maxLength: 64,
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "ix_messages_idempotency_key",
                schema: "messaging",
                table: "messages",
                columns: new[] { "session_id", "idempotency_key" },
                unique: true,
                filter: "idempotency_key IS NOT NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_messages_idempotency_key",
                schema: "messaging",
                table: "messages");

            migrationBuilder.DropColumn(
                name: "idempotency_key",
                schema: "messaging",
                table: "messages");

            migrationBuilder.DropColumn(
                name: "request_hash",
                schema: "messaging",
                table: "messages");
        }
    }
}
