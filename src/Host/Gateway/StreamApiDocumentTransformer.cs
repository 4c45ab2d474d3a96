using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Arena.Host.Gateway;

/// The public stream route is a YARP route, not an endpoint, so the API description cannot see it; this describes it as
/// clients see it, whichever pipeline answers.
internal sealed class StreamApiDocumentTransformer : IOpenApiDocumentTransformer
{
    public const string Path = GatewayProxyConfigProvider.StreamPath + "/";
    public const string Tag = "Messages";

    // The name ASP.NET Core gives the validation problem of the endpoints that declare one; reused when it is there.
    private const string ProblemSchema = "HttpValidationProblemDetails";

    private const string StreamDescription =
        """
        The reply, written as it is generated. Which format depends on `protocol`:

        `data` (default; the old service's format): one line per event, `{participant}{kind}:{json}` with participant `a` or `b`
        and camelCase JSON. Kind `0` is a chunk, `{"content":"..."}`; kind `3` an error, `{"error":{"code":"...","message":"..."}}`;
        kind `d` the end of that participant, `{"finishReason":"stop","usage":{"promptTokens":0,"completionTokens":0}}`.

        `sse`: standard server-sent events, each with an increasing `id`, an `event` and one snake_case JSON `data` line:
        `start` (`participant`, `message_id`, `model`), `delta` (`participant`, `content`), `error` (`participant`,
        `error` {`code`, `message`}), `finish` (`participant`, `finish_reason`, `usage`, `ttft_ms`, `duration_ms`), and last
        `done` (`{}`). `: keep-alive` comment lines keep an idle connection open.

        In compare mode the events of `a` and `b` are interleaved in arrival order; each participant's own events keep their order.
        A failure after the stream started travels inside it and ends only that participant.
        """;

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Tags ??= new HashSet<OpenApiTag>();
        if (!document.Tags.Any(t => t.Name == Tag))
        {
            document.Tags.Add(new OpenApiTag { Name = Tag });
        }

        document.Components ??= new OpenApiComponents();
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        document.Components.Schemas.TryAdd(ProblemSchema, ProblemDetails());

        document.Paths ??= [];
        document.Paths[Path] = new OpenApiPathItem
        {
            Operations = new Dictionary<HttpMethod, OpenApiOperation> { [HttpMethod.Post] = Operation(document) },
        };
        return Task.CompletedTask;
    }

    private static OpenApiOperation Operation(OpenApiDocument document) => new()
    {
        OperationId = "StreamMessage",
        Tags = new HashSet<OpenApiTagReference> { new(Tag, document) },
        Summary = "Sends a user message to a session and streams the reply of each of its models.",
        Description = "Served by the gateway, which sends each session to the `streaming` or the `legacy` pipeline; both answer byte for byte the same. "
            + "The path also answers without the trailing slash. Every problem is sent before the stream starts, as application/problem+json naming the bad field.",
        Parameters =
        [
            new OpenApiParameter
            {
                Name = "protocol",
                In = ParameterLocation.Query,
                Description = "The wire format of the stream; wins over the X-Arena-Protocol header.",
                Schema = Choice("data", "data", "sse"),
            },
            new OpenApiParameter
            {
                Name = "X-Arena-Protocol",
                In = ParameterLocation.Header,
                Description = "The wire format of the stream, when the protocol query parameter is absent.",
                Schema = Choice("data", "data", "sse"),
            },
            new OpenApiParameter
            {
                Name = Pipelines.Header,
                In = ParameterLocation.Header,
                Description = "Asks for one pipeline instead of the gateway's choice; honoured only where Arena:Gateway:AllowOverrideHeader is true.",
                Schema = Choice(null, Pipelines.Streaming, Pipelines.Legacy),
            },
        ],
        RequestBody = new OpenApiRequestBody
        {
            Required = true,
            Content = new Dictionary<string, OpenApiMediaType>
            {
                ["application/json"] = new()
                {
                    Schema = RequestSchema(),
                    Example = JsonNode.Parse("""{"session_id":"0195a0f2-0000-7000-8000-000000000000","messages":[{"role":"user","content":"Hello!"}]}"""),
                },
            },
        },
        Responses = new OpenApiResponses
        {
            ["200"] = new OpenApiResponse
            {
                Description = StreamDescription,
                Headers = new Dictionary<string, IOpenApiHeader>
                {
                    [Pipelines.Header] = new OpenApiHeader { Description = "The pipeline that served the stream.", Schema = Choice(null, Pipelines.Streaming, Pipelines.Legacy) },
                },
                Content = new Dictionary<string, OpenApiMediaType> { ["text/event-stream"] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.String } } },
            },
            ["400"] = Problem(document, "The protocol, the body, session_id or messages is invalid; errors names the field."),
            ["401"] = Problem(document, "No valid bearer token."),
            ["404"] = Problem(document, "The session does not exist or belongs to another user."),
            ["409"] = Problem(document, "A reply is already streaming in this session."),
            ["413"] = Problem(document, "The new user message is longer than the configured maximum; errors names messages."),
        },
    };

    private static OpenApiSchema RequestSchema() => new()
    {
        Type = JsonSchemaType.Object,
        Required = new HashSet<string> { "session_id", "messages" },
        Properties = new Dictionary<string, IOpenApiSchema>
        {
            ["session_id"] = new OpenApiSchema { Type = JsonSchemaType.String, Format = "uuid", Description = "One of the caller's sessions." },
            ["messages"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Array,
                Description = "Only the last user message is read: it is the new turn. The server keeps the earlier conversation itself.",
                Items = new OpenApiSchema
                {
                    Type = JsonSchemaType.Object,
                    Required = new HashSet<string> { "role", "content" },
                    Properties = new Dictionary<string, IOpenApiSchema>
                    {
                        ["role"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "user, assistant or system." },
                        ["content"] = new OpenApiSchema { Type = JsonSchemaType.String },
                    },
                },
            },
        },
    };

    private static OpenApiSchema Choice(string? fallback, params string[] values) => new()
    {
        Type = JsonSchemaType.String,
        Enum = [.. values.Select(v => (JsonNode)JsonValue.Create(v))],
        Default = fallback is null ? null : JsonValue.Create(fallback),
    };

    private static OpenApiResponse Problem(OpenApiDocument document, string description) => new()
    {
        Description = description,
        Content = new Dictionary<string, OpenApiMediaType>
        {
            ["application/problem+json"] = new() { Schema = new OpenApiSchemaReference(ProblemSchema, document) },
        },
    };

    private static OpenApiSchema ProblemDetails() => new()
    {
        Type = JsonSchemaType.Object,
        Properties = new Dictionary<string, IOpenApiSchema>
        {
            ["type"] = new OpenApiSchema { Type = JsonSchemaType.String },
            ["title"] = new OpenApiSchema { Type = JsonSchemaType.String },
            ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer },
            ["detail"] = new OpenApiSchema { Type = JsonSchemaType.String },
            ["errors"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Object,
                AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.String } },
            },
        },
    };
}
