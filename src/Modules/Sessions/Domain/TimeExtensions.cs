namespace Arena.Modules.Sessions.Domain;

internal static class TimeExtensions
{
    // PostgreSQL keeps microseconds; truncating first makes a created row read back exactly as it was returned.
    public static DateTimeOffset TruncateToMicroseconds(this DateTimeOffset value) =>
        new(value.Ticks - (value.Ticks % 10), value.Offset);
}
