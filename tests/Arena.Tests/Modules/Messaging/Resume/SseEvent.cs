using System.Text;
using System.Text.Json;

namespace Arena.Tests.Modules.Messaging.Resume;

/// One server-sent event as a client parses it; <see cref="Raw"/> is its exact text, for byte comparisons.
public sealed record SseEvent(long Id, string Event, JsonElement Data, string Raw)
{
    public string? Participant => Data.TryGetProperty("participant", out var p) ? p.GetString() : null;

    public static async Task<SseEvent?> ReadAsync(StreamReader reader)
    {
        long id = 0;
        string? name = null;
        string? data = null;
        var raw = new StringBuilder();
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.Length == 0)
            {
                if (name is not null)
                {
                    return new SseEvent(id, name, JsonDocument.Parse(data ?? "{}").RootElement.Clone(), raw.Append('\n').ToString());
                }

                raw.Clear();
                continue;
            }

            if (line[0] == ':')
            {
                continue;
            }

            raw.Append(line).Append('\n');
            if (line.StartsWith("id: ", StringComparison.Ordinal))
            {
                id = long.Parse(line[4..], System.Globalization.CultureInfo.InvariantCulture);
            }
            else if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                name = line[7..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                data = line[6..];
            }
        }

        return null;
    }

    public static async Task<List<SseEvent>> ReadAllAsync(StreamReader reader)
    {
        var events = new List<SseEvent>();
        while (await ReadAsync(reader) is { } next)
        {
            events.Add(next);
        }

        return events;
    }

    /// Each participant's text, concatenated from its deltas.
    public static Dictionary<string, string> Texts(IEnumerable<SseEvent> events) => events
        .Where(e => e.Event == "delta")
        .GroupBy(e => e.Participant!)
        .ToDictionary(g => g.Key, g => string.Concat(g.Select(e => e.Data.GetProperty("content").GetString())));
}
