using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Arena.Modules.Sessions.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class AddBattles : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "battle_seed",
                schema: "sessions",
                table: "sessions",
                type: "integer",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "revealed_at",
                schema: "sessions",
                table: "sessions",
                type: "timestamp with time zone",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "battle_seed",
                schema: "sessions",
                table: "sessions");

            migrationBuilder.DropColumn(
                name: "revealed_at",
                schema: "sessions",
                table: "sessions");
        }
    }
}
