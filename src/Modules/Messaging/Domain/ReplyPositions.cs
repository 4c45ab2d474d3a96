using System.Text.Json;
using System.Text.Json.Serialization;

namespace Arena.Modules.Messaging.Domain;

/// Where one reply's events sat in its turn's stream, by SSE id: its start, each delta as [id, end offset in the stored
/// content], each reasoning chunk as [id, end offset in the stored reasoning], each tool call's id in the order the row's
/// metadata lists the calls, its error and its finish (when it had them), and the turn's closing <c>done</c>. With it,
/// the stored row rebuilds exactly the events a client saw live, so a resume from the database continues after any id.
/// Rows stored before reasoning and tool calls had positions have neither field; their replay leaves those events out.
internal sealed record ReplyPositions(
    long Start,
    long[][] Deltas,
    long? Error,
    long? End,
    long Done,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long[][]? Reasoning = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long[]? ToolCalls = null)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.General)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public string Serialize() => JsonSerializer.Serialize(this, Json);

    public static ReplyPositions? Deserialize(string? json)
    {
        if (json is null)
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<ReplyPositions>(json, Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
