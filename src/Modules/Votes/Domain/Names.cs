using System.Text.Json;

namespace Arena.Modules.Votes.Domain;

/// The snake_case names enums have in rows and JSON (<c>both_bad</c>, <c>identity_leak</c>).
internal static class Names
{
    public static string Of<T>(T value)
        where T : struct, Enum => JsonNamingPolicy.SnakeCaseLower.ConvertName(value.ToString());

    public static T Parse<T>(string name)
        where T : struct, Enum => Enum.Parse<T>(name.Replace("_", "", StringComparison.Ordinal), ignoreCase: true);
}
