using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Arena.Host.Defaults;

/// Declares the problems every operation can answer whatever its slice says: 401 where a token is required, 415 where a
/// JSON body is read by the framework.
internal sealed class ProblemResponses : IOpenApiOperationTransformer
{
    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        operation.Responses ??= [];
        if (context.Description.ActionDescriptor.EndpointMetadata.OfType<IAuthorizeData>().Any())
        {
            operation.Responses.TryAdd("401", new OpenApiResponse { Description = "No valid bearer token." });
        }

        if (context.Description.ParameterDescriptions.Any(p => p.Source == BindingSource.Body))
        {
            operation.Responses.TryAdd("415", new OpenApiResponse { Description = "The body is not sent as application/json." });
        }

        // The token in the query is read by the bearer handler, not bound by the endpoint, so only this can name it.
        if (context.Description.ActionDescriptor.EndpointMetadata.OfType<IEndpointNameMetadata>().Any(n => n.EndpointName == EventSourceToken.EndpointName))
        {
            operation.Parameters ??= [];
            operation.Parameters.Add(new OpenApiParameter
            {
                Name = EventSourceToken.QueryName,
                In = ParameterLocation.Query,
                Description = "The bearer token, for a browser's EventSource, which cannot send an Authorization header; ignored when the header is sent.",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String },
            });
        }

        return Task.CompletedTask;
    }
}
