using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Arena.Host.Defaults;

/// The problem bodies as the Host really writes them (RFC 7807 plus trace_id; errors on 400), and a problem body on
/// every 4xx answer of every operation: the Host answers each of them with one, status-code pages included. Only a 400
/// always names fields. A property a request body requires never takes null: the validators refuse it.
internal sealed class ApiDocumentConventions : IOpenApiDocumentTransformer
{
    public const string ProblemSchema = "ProblemDetails";
    public const string ValidationProblemSchema = "HttpValidationProblemDetails";
    public const string ProblemMediaType = "application/problem+json";

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Components ??= new OpenApiComponents();
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        document.Components.Schemas[ProblemSchema] = Problem(withErrors: false);
        document.Components.Schemas[ValidationProblemSchema] = Problem(withErrors: true);

        foreach (var operation in document.Paths.Values.SelectMany(p => p.Operations?.Values.AsEnumerable() ?? []))
        {
            foreach (var (status, response) in operation.Responses ?? new OpenApiResponses())
            {
                if (status.StartsWith('4') && response is OpenApiResponse problem)
                {
                    var schema = status == "400" ? ValidationProblemSchema : ProblemSchema;
                    problem.Content = new Dictionary<string, OpenApiMediaType> { [ProblemMediaType] = new() { Schema = new OpenApiSchemaReference(schema, document) } };
                }
            }

            // The routes constrain their ids to GUIDs: any other text matches no route, and so is not found rather than invalid.
            foreach (var pathId in (operation.Parameters ?? []).OfType<OpenApiParameter>().Where(p => p is { In: ParameterLocation.Path, Schema.Format: "uuid" }))
            {
                pathId.Description ??= "A UUID. Any other text matches no route and is answered 404, not 400.";
            }

            if (operation.RequestBody?.Content?.Values.Select(m => m.Schema).OfType<OpenApiSchemaReference>().FirstOrDefault() is { Reference.Id: { } id }
                && document.Components.Schemas.TryGetValue(id, out var body) && body is OpenApiSchema { Properties: { } properties, Required: { } required })
            {
                foreach (var name in required.Where(properties.ContainsKey))
                {
                    properties[name] = WithoutNull(properties[name]);
                }
            }
        }

        return Task.CompletedTask;
    }

    private static IOpenApiSchema WithoutNull(IOpenApiSchema schema)
    {
        if (schema is OpenApiSchema { OneOf: { Count: 2 } choices } && choices.FirstOrDefault(c => c.Type == JsonSchemaType.Null) is { } nullChoice)
        {
            return choices.First(c => !ReferenceEquals(c, nullChoice));
        }

        if (schema is OpenApiSchema { Type: { } flags } inline && flags.HasFlag(JsonSchemaType.Null))
        {
            inline.Type = flags & ~JsonSchemaType.Null;
        }

        return schema;
    }

    private static OpenApiSchema Problem(bool withErrors)
    {
        var schema = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = withErrors
                ? "An RFC 7807 problem whose errors name each bad field (or body, for the body as a whole) with what it must be."
                : "An RFC 7807 problem. The title is the same for every problem of one status; the detail says what happened.",
            Required = new HashSet<string> { "type", "title", "status" },
            Properties = new Dictionary<string, IOpenApiSchema>
            {
                ["type"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "A link to the status code's definition." },
                ["title"] = new OpenApiSchema { Type = JsonSchemaType.String },
                ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32" },
                ["detail"] = new OpenApiSchema { Type = JsonSchemaType.String },
                ["instance"] = new OpenApiSchema { Type = JsonSchemaType.String },
                ["trace_id"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "The request's W3C traceparent, not the bare trace id: version, trace id, span id and flags, as in `00-{trace id}-{span id}-01` (the trace id is its second part); the server's request id when no trace was recorded. Quote it to support." },
            },
        };
        // A problem of another status may name the field at fault too (413 names messages).
        schema.Properties["errors"] = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.String } },
        };
        if (withErrors)
        {
            schema.Required.Add("errors");
        }

        return schema;
    }
}
