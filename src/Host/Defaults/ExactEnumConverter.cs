using System.Collections.Frozen;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Arena.Host.Defaults;

/// The API's enums are their snake_case names, spelled exactly. The framework's string-enum converter falls back to
/// Enum.TryParse, which ignores letter case and surrounding spaces, so " Battle" and "A" were taken for battle and a.
internal sealed class ExactEnumConverter : JsonConverterFactory
{
    public override bool CanConvert(Type typeToConvert) => typeToConvert.IsEnum;

    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
        (JsonConverter)Activator.CreateInstance(typeof(Exact<>).MakeGenericType(typeToConvert))!;

    /// The names of an enum's values as the API spells them.
    public static IEnumerable<string> Names(Type enumType) => Enum.GetNames(enumType).Select(JsonNamingPolicy.SnakeCaseLower.ConvertName);

    private sealed class Exact<T> : JsonConverter<T>
        where T : struct, Enum
    {
        private static readonly FrozenDictionary<string, T> ByName = Enum.GetValues<T>().ToFrozenDictionary(v => JsonNamingPolicy.SnakeCaseLower.ConvertName(v.ToString()));
        private static readonly FrozenDictionary<T, JsonEncodedText> ToName = ByName.ToFrozenDictionary(p => p.Value, p => JsonEncodedText.Encode(p.Key));

        public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType == JsonTokenType.String && ByName.TryGetValue(reader.GetString()!, out var value)
                ? value
                : throw new JsonException($"Expected one of {string.Join(", ", ByName.Keys)}.");

        public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) => writer.WriteStringValue(ToName[value]);
    }
}
