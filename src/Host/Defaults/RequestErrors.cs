using System.Collections;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;

namespace Arena.Host.Defaults;

/// Says what is wrong with a request the framework could not bind, in the client's terms: the JSON field or query
/// parameter and what it must be. The framework's own texts name .NET types and parameters, so none of them is passed on.
internal static class RequestErrors
{
    public const string BodyKey = "body";
    public const string MissingBody = "The body is missing: send a JSON object.";
    public const string NotAnObject = "The body must be a JSON object.";

    /// Messaging's stream gate parses its body itself and says the same, word for word.
    public static string NotJson(long line, long bytePosition) =>
        string.Create(CultureInfo.InvariantCulture, $"The body is not valid JSON (line {line + 1}, position {bytePosition + 1}).");

    /// Messaging's stream gate says the same of a text field, word for word.
    public static string NotText(string field) => $"'{field}' must be valid Unicode text: UTF-8, without lone surrogates (\\ud800-\\udfff) or NUL.";

    public static ProblemDetails Describe(HttpContext context, BadHttpRequestException exception, JsonSerializerOptions options)
    {
        // The exception handler runs with the endpoint cleared from the context; the feature keeps the one that failed.
        var endpoint = context.Features.Get<IExceptionHandlerFeature>()?.Endpoint ?? context.GetEndpoint();
        var bodyType = endpoint?.Metadata.GetMetadata<IAcceptsMetadata>()?.RequestType;
        if (exception.InnerException is JsonException json)
        {
            return Invalid(JsonError(json, bodyType, options));
        }

        if (bodyType is not null && !HasBody(context))
        {
            return Invalid((BodyKey, MissingBody));
        }

        if (exception.StatusCode == StatusCodes.Status415UnsupportedMediaType)
        {
            return new ProblemDetails
            {
                Status = StatusCodes.Status415UnsupportedMediaType,
                Detail = "Send the body as JSON, with the header 'Content-Type: application/json'.",
            };
        }

        if (QueryError(context, endpoint, options) is { } queryError)
        {
            return Invalid(queryError);
        }

        // A body that is the JSON literal null.
        return Invalid(bodyType is not null ? (BodyKey, MissingBody) : ("request", "The request could not be read."));
    }

    private static HttpValidationProblemDetails Invalid((string Field, string Message) error) =>
        new(new Dictionary<string, string[]> { [error.Field] = [error.Message] }) { Status = StatusCodes.Status400BadRequest };

    private static bool HasBody(HttpContext context) =>
        context.Request.ContentLength is > 0
        || (context.Request.ContentLength is null && context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == true);

    private static (string Field, string Message) JsonError(JsonException json, Type? bodyType, JsonSerializerOptions options)
    {
        // The reader's own exception inside means the text is not JSON at all; without it, a value did not fit its field.
        if (json.InnerException is JsonException)
        {
            return (BodyKey, NotJson(json.LineNumber ?? 0, json.BytePositionInLine ?? 0));
        }

        var segments = Segments(json.Path);
        if (segments.Count == 0 || bodyType is null)
        {
            return (BodyKey, NotAnObject);
        }

        var field = FieldName(segments);
        // The reader refuses to turn invalid UTF-8 or a lone "\ud800" escape into a string; the value had the right type.
        if (json.InnerException is InvalidOperationException)
        {
            return (field, NotText(field));
        }

        return TypeAt(bodyType, segments, options) is { } type
            ? (field, $"'{field}' must be {Expectation(type, options)}.")
            : (field, $"'{field}' has a value of the wrong type.");
    }

    private static (string Field, string Message)? QueryError(HttpContext context, Endpoint? endpoint, JsonSerializerOptions options)
    {
        foreach (var parameter in endpoint?.Metadata.GetOrderedMetadata<IParameterBindingMetadata>() ?? [])
        {
            if (!parameter.HasTryParse || !context.Request.Query.TryGetValue(parameter.Name, out var values))
            {
                continue;
            }

            var type = Nullable.GetUnderlyingType(parameter.ParameterInfo.ParameterType) ?? parameter.ParameterInfo.ParameterType;
            if (values.Any(value => !Parses(type, value)))
            {
                var name = JsonNamingPolicy.SnakeCaseLower.ConvertName(parameter.Name);
                return (name, $"'{name}' must be {Expectation(type, options)}.");
            }
        }

        return null;
    }

    private static bool Parses(Type type, string? value) => type switch
    {
        _ when type == typeof(int) => int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out _),
        _ when type == typeof(long) => long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out _),
        _ when type == typeof(Guid) => Guid.TryParse(value, out _),
        _ when type == typeof(bool) => bool.TryParse(value, out _),
        _ when type == typeof(DateTimeOffset) => DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.None, out _),
        _ when type.IsEnum => Enum.TryParse(type, value, ignoreCase: true, out _),
        _ => true,
    };

    /// "$.messages[0].role" as its parts: "messages", "[0]", "role"; "$['odd key']" gives "odd key".
    private static List<string> Segments(string? path)
    {
        var segments = new List<string>();
        var i = 1;
        while (path is not null && i < path.Length)
        {
            int end;
            if (path[i] == '.')
            {
                end = path.IndexOfAny(['.', '['], i + 1);
                end = end < 0 ? path.Length : end;
                segments.Add(path[(i + 1)..end]);
                i = end;
            }
            else if (path.AsSpan(i).StartsWith("['", StringComparison.Ordinal) && (end = path.IndexOf("']", i + 2, StringComparison.Ordinal)) > 0)
            {
                segments.Add(path[(i + 2)..end]);
                i = end + 2;
            }
            else if (path[i] == '[' && (end = path.IndexOf(']', i)) > 0)
            {
                segments.Add(path[i..(end + 1)]);
                i = end + 1;
            }
            else
            {
                break;
            }
        }

        return segments;
    }

    private static string FieldName(List<string> segments)
    {
        var name = new StringBuilder();
        foreach (var segment in segments)
        {
            if (name.Length > 0 && !segment.StartsWith('['))
            {
                name.Append('.');
            }

            name.Append(segment);
        }

        return name.ToString();
    }

    private static Type? TypeAt(Type bodyType, List<string> segments, JsonSerializerOptions options)
    {
        Type? type = bodyType;
        foreach (var segment in segments)
        {
            var info = options.GetTypeInfo(Nullable.GetUnderlyingType(type) ?? type);
            type = segment.StartsWith('[')
                ? info.ElementType
                : info.Properties.FirstOrDefault(p => p.Name == segment)?.PropertyType;
            if (type is null)
            {
                return null;
            }
        }

        return type;
    }

    private static string Expectation(Type type, JsonSerializerOptions options)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type.IsEnum)
        {
            return "one of: " + string.Join(", ", Enum.GetValues(type).Cast<object>().Select(value => JsonSerializer.Serialize(value, type, options).Trim('"')));
        }

        return type switch
        {
            _ when type == typeof(string) => "a string",
            _ when type == typeof(Guid) => "a UUID",
            _ when type == typeof(bool) => "true or false",
            _ when type == typeof(DateTimeOffset) || type == typeof(DateTime) => "a date-time (RFC 3339)",
            _ when type == typeof(float) || type == typeof(double) || type == typeof(decimal) => "a number",
            _ when type.IsPrimitive => "an integer",
            _ when typeof(IEnumerable).IsAssignableFrom(type) => "an array",
            _ => "an object",
        };
    }
}
