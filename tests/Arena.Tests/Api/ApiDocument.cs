using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;

namespace Arena.Tests.Api;

/// The Host's OpenAPI document as a client reads it, and the documented schemas as strict JSON Schema validators:
/// references resolved from components, and no property the document does not declare.
internal sealed class ApiDocument(JsonObject root)
{
    public const string SchemaRefPrefix = "#/components/schemas/";

    public JsonObject Root { get; } = root;

    public JsonObject Schemas => Root["components"]!["schemas"]!.AsObject();

    public static async Task<(ApiDocument Document, string Json)> FetchAsync(HttpClient client)
    {
        var json = await client.GetStringAsync("/openapi/v1.json");
        return (new ApiDocument(JsonNode.Parse(json)!.AsObject()), json);
    }

    public IEnumerable<(string Method, string Path, JsonObject Operation)> Operations() =>
        from path in Root["paths"]!.AsObject()
        from operation in path.Value!.AsObject()
        where operation.Key is "get" or "post" or "put" or "patch" or "delete"
        select (operation.Key.ToUpperInvariant(), path.Key, operation.Value!.AsObject());

    public JsonObject Resolve(JsonNode schema)
    {
        var current = schema.AsObject();
        while (current["$ref"]?.GetValue<string>() is { } reference)
        {
            current = Schemas[reference[SchemaRefPrefix.Length..]]!.AsObject();
        }

        return current;
    }

    /// Checks a real answer against what the operation documents for it: the status, the media type, and for JSON the
    /// schema, strictly. Returns what is wrong, or nothing.
    public async Task<string?> CheckAsync(JsonObject operation, HttpResponseMessage response)
    {
        var status = ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (operation["responses"]?[status] is not JsonObject documented)
        {
            return $"status {status} is not documented";
        }

        var body = await response.Content.ReadAsStringAsync();
        var mediaType = response.Content.Headers.ContentType?.MediaType;
        if (documented["content"] is not JsonObject content || content.Count == 0)
        {
            return body.Length == 0 ? null : $"status {status} documents no body, got {mediaType}: {body}";
        }

        if (mediaType is null || content[mediaType] is not JsonObject media)
        {
            return $"status {status}: media type {mediaType} is not among {string.Join(", ", content.Select(c => c.Key))}";
        }

        if (!mediaType.Contains("json", StringComparison.Ordinal))
        {
            return null;
        }

        var validator = Validator(media["schema"]!);
        if (mediaType == JsonLinesMediaType)
        {
            // JSON Lines: the schema describes one line, and every line must be one such value.
            var lines = body.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            var wrong = lines.Select(line => (Line: line, Result: Evaluate(validator, line))).FirstOrDefault(l => !l.Result.IsValid);
            return wrong.Line is null ? null : $"status {status}: line {wrong.Line}\n{Describe(wrong.Result)}";
        }

        var result = Evaluate(validator, body);
        return result.IsValid ? null : $"status {status}: {body}\n{Describe(result)}";
    }

    public const string JsonLinesMediaType = "application/jsonl";

    private static EvaluationResults Evaluate(JsonSchema validator, string json) =>
        validator.Evaluate(JsonDocument.Parse(json).RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List, RequireFormatValidation = true });

    public JsonSchema Validator(JsonNode schema)
    {
        var root = Strict(Rewrite(schema.DeepClone())).AsObject();
        var definitions = new JsonObject();
        foreach (var (name, definition) in Schemas)
        {
            definitions[name] = Strict(Rewrite(definition!.DeepClone()));
        }

        root["$schema"] = "https://json-schema.org/draft/2020-12/schema";
        root["$defs"] = definitions;
        return JsonSchema.FromText(root.ToJsonString());
    }

    private static string Describe(EvaluationResults result)
    {
        var text = new StringBuilder();
        foreach (var detail in (result.Details ?? []).Where(d => d.Errors is { Count: > 0 }))
        {
            text.Append(detail.InstanceLocation).Append(": ").AppendJoin("; ", detail.Errors!.Values).AppendLine();
        }

        return text.ToString();
    }

    private static JsonNode Rewrite(JsonNode node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj.ToList())
                {
                    if (key == "$ref" && value!.GetValue<string>() is { } reference && reference.StartsWith(SchemaRefPrefix, StringComparison.Ordinal))
                    {
                        obj["$ref"] = "#/$defs/" + reference[SchemaRefPrefix.Length..];
                    }
                    else if (value is not null)
                    {
                        Rewrite(value);
                    }
                }

                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    if (item is not null)
                    {
                        Rewrite(item);
                    }
                }

                break;
        }

        return node;
    }

    /// An object schema that lists its properties admits no others, so that an undocumented field fails the check.
    private static JsonNode Strict(JsonNode node)
    {
        switch (node)
        {
            case JsonObject obj:
                if (obj.ContainsKey("properties") && !obj.ContainsKey("additionalProperties"))
                {
                    obj["additionalProperties"] = false;
                }

                foreach (var (_, value) in obj.ToList())
                {
                    if (value is JsonObject or JsonArray)
                    {
                        Strict(value);
                    }
                }

                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    if (item is not null)
                    {
                        Strict(item);
                    }
                }

                break;
        }

        return node;
    }

    public static StringContent Json(string text) => new(text, Encoding.UTF8, "application/json");

    public static bool IsSuccess(HttpStatusCode status) => (int)status is >= 200 and < 300;
}
