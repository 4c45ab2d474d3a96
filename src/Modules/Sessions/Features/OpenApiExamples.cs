using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;

namespace Arena.Modules.Sessions.Features;

/// Examples shown beside an operation in the API description, written as a client would send or receive them.
internal static class OpenApiExamples
{
    public static RouteHandlerBuilder WithRequestExample(this RouteHandlerBuilder endpoint, string json) =>
        endpoint.AddOpenApiOperationTransformer((operation, _, _) =>
        {
            if (operation.RequestBody?.Content?.TryGetValue("application/json", out var body) == true)
            {
                body.Example = JsonNode.Parse(json);
            }

            return Task.CompletedTask;
        });

    public static RouteHandlerBuilder WithResponseExample(this RouteHandlerBuilder endpoint, int status, string json) =>
        endpoint.AddOpenApiOperationTransformer((operation, _, _) =>
        {
            if (operation.Responses?.TryGetValue(status.ToString(System.Globalization.CultureInfo.InvariantCulture), out var response) == true
                && response.Content?.TryGetValue("application/json", out var body) == true)
            {
                body.Example = JsonNode.Parse(json);
            }

            return Task.CompletedTask;
        });
}
