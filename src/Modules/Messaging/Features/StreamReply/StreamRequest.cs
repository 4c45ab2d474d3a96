using System.Globalization;
using System.Text.Json;
using Arena.Modules.Messaging.Streaming;
using Microsoft.AspNetCore.Http;

namespace Arena.Modules.Messaging.Features.StreamReply;

/// What a stream request asks for, once read and checked.
internal sealed record StreamRequest(Guid SessionId, string Content, bool Resumable);

/// Reads a stream request without any IO, so that every rule about what a client may send is a pure function: the
/// protocol (shared with every stream endpoint, each with its own default) and the body. It answers the request, or the
/// problem that names the field.
internal static class StreamRequestReader
{
    public const string ProtocolHeader = "X-Arena-Protocol";

    public const string NotText = "The last user message's 'content' must be valid Unicode text: UTF-8, without lone surrogates (\\ud800-\\udfff) or NUL.";

    /// The protocol the query (which wins) or the header names; <paramref name="fallback"/> when neither does.
    public static StreamProtocol? ReadProtocol(string? query, string? header, StreamProtocol fallback, out IResult? problem)
    {
        problem = null;
        var name = query ?? header;
        if (string.IsNullOrEmpty(name))
        {
            return fallback;
        }

        if (name.Equals("data", StringComparison.OrdinalIgnoreCase))
        {
            return StreamProtocol.Data;
        }

        if (name.Equals("sse", StringComparison.OrdinalIgnoreCase))
        {
            return StreamProtocol.Sse;
        }

        problem = StreamProblems.Invalid("protocol", "'protocol' must be 'data' or 'sse'.");
        return null;
    }

    /// The body's request; <paramref name="resumableSupported"/>: whether the pipeline can run a turn detached from its
    /// request (where it cannot, <c>"resumable": true</c> is refused and <paramref name="resumableByDefault"/> does not
    /// apply).
    public static StreamRequest? Read(JsonElement body, bool resumableSupported, bool resumableByDefault, int maxContentLength, out IResult? problem)
    {
        problem = null;
        if (body.ValueKind != JsonValueKind.Object)
        {
            problem = StreamProblems.Invalid("body", "The body must be a JSON object with 'session_id' and 'messages'.");
            return null;
        }

        var errors = new Dictionary<string, string[]>();
        Guid sessionId;
        string content;
        bool resumable;
        try
        {
            sessionId = ReadSessionId(body, errors);
            content = ReadNewTurn(body, errors);
            resumable = ReadResumable(body, errors, resumableSupported, resumableByDefault);
        }
        catch (InvalidOperationException)
        {
            // A property name with a lone surrogate escape: the parser keeps it and throws only when a lookup has to
            // compare against it. Like malformed text anywhere else, the client's doing.
            problem = StreamProblems.Invalid("body", "The body's property names must be valid Unicode text: no lone surrogates (\\ud800-\\udfff).");
            return null;
        }

        if (errors.Count > 0)
        {
            problem = TypedResults.ValidationProblem(errors);
            return null;
        }

        if (content.Length > maxContentLength)
        {
            problem = TypedResults.Problem(
                statusCode: StatusCodes.Status413PayloadTooLarge,
                title: "The message is too long.",
                detail: $"The last user message has {content.Length} characters; at most {maxContentLength} are accepted.",
                extensions: new Dictionary<string, object?> { ["errors"] = new Dictionary<string, string[]> { ["messages"] = [$"The content exceeds {maxContentLength} characters."] } });
            return null;
        }

        if (content.Contains('\0', StringComparison.Ordinal))
        {
            problem = StreamProblems.Invalid("messages", NotText);
            return null;
        }

        return new StreamRequest(sessionId, content, resumable);
    }

    /// Word for word what the Host says of every other endpoint's body.
    public static IResult NotJson(JsonException exception) =>
        StreamProblems.Invalid("body", string.Create(CultureInfo.InvariantCulture, $"The body is not valid JSON (line {exception.LineNumber + 1}, position {exception.BytePositionInLine + 1})."));

    private static Guid ReadSessionId(JsonElement body, Dictionary<string, string[]> errors)
    {
        if (!body.TryGetProperty("session_id", out var value) || value.ValueKind == JsonValueKind.Null)
        {
            errors["session_id"] = ["'session_id' is required."];
            return Guid.Empty;
        }

        if (value.ValueKind != JsonValueKind.String || !TryGetText(value, out var text) || !Guid.TryParse(text, out var id))
        {
            errors["session_id"] = ["'session_id' must be a uuid."];
            return Guid.Empty;
        }

        return id;
    }

    private static bool ReadResumable(JsonElement body, Dictionary<string, string[]> errors, bool supported, bool byDefault)
    {
        if (!body.TryGetProperty("resumable", out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return supported && byDefault;
        }

        if (value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
        {
            errors["resumable"] = ["'resumable' must be true or false."];
            return false;
        }

        if (value.ValueKind == JsonValueKind.True && !supported)
        {
            errors["resumable"] = ["The legacy pipeline does not run resumable turns; send the message without 'resumable'."];
            return false;
        }

        return value.ValueKind == JsonValueKind.True;
    }

    /// The new turn is the last user message; earlier ones in the body are ignored because the server keeps the history.
    private static string ReadNewTurn(JsonElement body, Dictionary<string, string[]> errors)
    {
        if (!body.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array)
        {
            errors["messages"] = ["'messages' is required: a list of {role, content}."];
            return "";
        }

        JsonElement? last = null;
        var index = 0;
        foreach (var message in messages.EnumerateArray())
        {
            if (message.ValueKind != JsonValueKind.Object || !message.TryGetProperty("role", out var role) || role.ValueKind != JsonValueKind.String
                || !TryGetText(role, out var roleName) || roleName is not ("user" or "assistant" or "system"))
            {
                var given = message.ValueKind == JsonValueKind.Object && message.TryGetProperty("role", out var bad) && TryGetRawText(bad, out var raw) ? $" (got {raw})" : "";
                errors[$"messages[{index}].role"] = [$"'messages[{index}].role' must be one of: user, assistant, system{given}."];
                return "";
            }

            if (roleName == "user")
            {
                last = message;
            }

            index++;
        }

        if (last is null)
        {
            errors["messages"] = ["'messages' must contain a user message."];
            return "";
        }

        if (!last.Value.TryGetProperty("content", out var content) || content.ValueKind != JsonValueKind.String)
        {
            errors["messages"] = ["The last user message must have a non-empty string 'content'."];
            return "";
        }

        if (!TryGetText(content, out var text))
        {
            errors["messages"] = [NotText];
            return "";
        }

        if (string.IsNullOrWhiteSpace(text))
        {
            errors["messages"] = ["The last user message must have a non-empty string 'content'."];
            return "";
        }

        return text;
    }

    /// The parser accepts invalid UTF-8 and lone "\ud800" escapes inside strings and only refuses them when asked for
    /// the string; a refusal here is the client's malformed text, not a fault of ours.
    private static bool TryGetText(JsonElement value, out string text)
    {
        try
        {
            text = value.GetString()!;
            return true;
        }
        catch (InvalidOperationException)
        {
            text = "";
            return false;
        }
    }

    private static bool TryGetRawText(JsonElement value, out string text)
    {
        try
        {
            text = value.GetRawText();
            return true;
        }
        catch (InvalidOperationException)
        {
            text = "";
            return false;
        }
    }

}
