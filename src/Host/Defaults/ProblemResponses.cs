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

        return Task.CompletedTask;
    }
}
