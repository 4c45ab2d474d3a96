using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Arena.Modules.Messaging.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class AddReasoning : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "reasoning",
                schema: "messaging",
                table: "messages",
                type: "text",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "reasoning",
                schema: "messaging",
                table: "messages");
        }
    }
}
