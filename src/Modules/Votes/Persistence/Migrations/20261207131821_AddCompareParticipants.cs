using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Arena.Modules.Votes.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class AddCompareParticipants : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "model_c",
                schema: "votes",
                table: "votes",
                type: "character varying(200)",
                maxLength: 200,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "model_d",
                schema: "votes",
                table: "votes",
                type: "character varying(200)",
                maxLength: 200,
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "model_c",
                schema: "votes",
                table: "votes");

            migrationBuilder.DropColumn(
                name: "model_d",
                schema: "votes",
                table: "votes");
        }
    }
}
