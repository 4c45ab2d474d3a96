using System.ComponentModel.DataAnnotations;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Arena.Host.Defaults;

/// Makes the schemas say what the validators and the serializer do, where the C# types alone cannot:
/// a [Required] property must be present and not null (the type stays nullable so that a missing value reaches the
/// validator, which names it); a property left out when null is optional and never null; an enum is a string, and so is a string property whose [AllowedValues] close its set.
internal sealed class SchemaConventions : IOpenApiSchemaTransformer
{
    public Task TransformAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        var type = context.JsonTypeInfo.Type;
        // The schema exporter describes a custom converter's type as any value; the exact enum converter reads and writes
        // its names. A nullable enum shares its component with the enum itself: whether null is allowed is said by the property.
        if ((Nullable.GetUnderlyingType(type) ?? type) is { IsEnum: true } enumType)
        {
            schema.Type = JsonSchemaType.String;
            schema.Enum = [.. ExactEnumConverter.Names(enumType).Select(n => (JsonNode)n)];
        }

        if (context.JsonTypeInfo.Kind != JsonTypeInfoKind.Object || schema.Properties is not { } properties)
        {
            return Task.CompletedTask;
        }

        foreach (var property in context.JsonTypeInfo.Properties)
        {
            if (!properties.TryGetValue(property.Name, out var propertySchema))
            {
                continue;
            }

            var required = property.AttributeProvider?.IsDefined(typeof(RequiredAttribute), inherit: true) == true;
            var omittedWhenNull = property.AttributeProvider?.GetCustomAttributes(typeof(JsonIgnoreAttribute), inherit: true)
                .OfType<JsonIgnoreAttribute>().Any(a => a.Condition == JsonIgnoreCondition.WhenWritingNull) == true;
            if (required)
            {
                schema.Required ??= new HashSet<string>();
                schema.Required.Add(property.Name);
            }
            else if (omittedWhenNull)
            {
                schema.Required?.Remove(property.Name);
            }

            if (required || omittedWhenNull)
            {
                properties[property.Name] = WithoutNull(propertySchema);
            }

            if (property.AttributeProvider?.GetCustomAttributes(typeof(AllowedValuesAttribute), inherit: true).OfType<AllowedValuesAttribute>().FirstOrDefault() is { } allowed
                && properties[property.Name] is OpenApiSchema { Type: { } kind } inline && kind.HasFlag(JsonSchemaType.String))
            {
                // A string that takes a closed set of values: a nullable one must list null too, or the enum refuses it.
                var choices = allowed.Values.Select(v => (JsonNode)JsonValue.Create(v?.ToString())!);
                inline.Enum = [.. kind.HasFlag(JsonSchemaType.Null) ? choices.Append(null!) : choices];
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
}
