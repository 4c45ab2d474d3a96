namespace Arena.Modules.Messaging.Domain;

/// PostgreSQL text and jsonb cannot hold U+0000: a provider sending one would make every write of that reply fail.
internal static class StorableText
{
    public static string Of(string text) => text.Contains('\0', StringComparison.Ordinal) ? text.Replace("\0", "", StringComparison.Ordinal) : text;
}
