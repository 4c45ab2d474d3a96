using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json.Nodes;
using Arena.Modules.Messaging.Streaming;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.OpenApi;

namespace Arena.Modules.Messaging.Features.StreamReply;

/// The public stream route as clients see it, whichever pipeline answers: both endpoints sit at the same pattern and
/// answer byte for byte the same, so the contract is described once, on the streaming one.
internal static class StreamReplyDescription
{
    public const string Pattern = "/messages/stream/";

    public const string PipelineHeader = StreamResponse.PipelineHeader;

    public const string EventStreamMediaType = "text/event-stream";

    public const string DataExampleName = "data";

    public const string SseExampleName = "sse";

    // A table (docs/stream-protocol.md's too) and example streams rather than prose, so that the contract tests can read every event
    // and field back and hold them to what the wire writers produce.
    private const string StreamDescription =
        """
        The reply, written as it is generated. Which format depends on `protocol`. The events of both are below, each with
        every field it can hold. `{p}` is the participant, a letter, `a`, `b`, …

        `data` (default; the old service's format): one line per event, `{p}{kind}:{json}`, with camelCase JSON; clients skip
        the kinds they do not know. `sse`: standard server-sent events, each with an increasing `id`, an `event` and one
        snake_case JSON `data` line; `: keep-alive` comment lines keep an idle connection open.

        | event | `data` line | `sse` event and data |
        | --- | --- | --- |
        | a participant's reply starts (no `model` in a battle before its vote) | none | `start` `{"participant":"a","message_id":"…","model":"…"}` |
        | a chunk of the answer | `{p}0:{"content":"…"}` | `delta` `{"participant":"a","content":"…"}` |
        | a chunk of reasoning ("thinking") | `{p}g:{"content":"…"}` | `reasoning` `{"participant":"a","content":"…"}` |
        | a tool call the model asked for, its arguments the provider's JSON text as sent | `{p}9:{"toolCallId":"…","toolName":"…","args":"…"}` | `tool_call` `{"participant":"a","id":"…","name":"…","arguments":"…"}` |
        | a failure | `{p}3:{"error":{"code":"…","message":"…"}}` | `error` `{"participant":"a","error":{"code":"…","message":"…"}}` |
        | the end of a participant | `{p}d:{"finishReason":"stop","usage":{"promptTokens":9,"completionTokens":65,"cacheReadTokens":null,"cacheWriteTokens":null,"reasoningTokens":null},"stored":true}` | `finish` `{"participant":"a","finish_reason":"stop","usage":{"prompt_tokens":9,"completion_tokens":65,"cache_read_tokens":null,"cache_write_tokens":null,"reasoning_tokens":null},"ttft_ms":120,"duration_ms":900,"stored":true}` |
        | the end of the response | none | `done` `{}` |

        `usage` is null when the provider reported nothing, and each count in it null when not reported; `ttft_ms` is null
        when no chunk arrived. `stored` (both protocols) says whether the reply was saved when its end was sent; when false
        the server keeps retrying the save in the background. An error with code `shutdown` (then no `d`/`finish` for that
        participant) means the instance shut down before the reply ended: what had arrived is stored as `interrupted`.

        In compare mode the events of `a` and `b` are interleaved in arrival order; each participant's own events keep their order.
        A failure after the stream started travels inside it and ends only that participant.
        """;

    private const string DataExample =
        """
        a0:{"content":"mock-swift here. "}
        b0:{"content":"mock-sage here. "}
        bg:{"content":"The user wants the weather."}
        b9:{"toolCallId":"call_1","toolName":"get_weather","args":"{\"city\":\"Paris\"}"}
        a3:{"error":{"code":"timeout","message":"The provider timed out before answering; please try again."}}
        ad:{"finishReason":"error","usage":null,"stored":true}
        bd:{"finishReason":"tool_calls","usage":{"promptTokens":82,"completionTokens":41,"cacheReadTokens":64,"cacheWriteTokens":null,"reasoningTokens":16},"stored":true}

        """;

    private const string SseExample =
        """
        id: 1
        event: start
        data: {"participant":"a","message_id":"0195a0f2-0000-7000-8000-000000000001","model":"mock-swift"}

        id: 2
        event: start
        data: {"participant":"b","message_id":"0195a0f2-0000-7000-8000-000000000002","model":"mock-sage"}

        id: 3
        event: delta
        data: {"participant":"a","content":"mock-swift here. "}

        id: 4
        event: reasoning
        data: {"participant":"b","content":"The user wants the weather."}

        : keep-alive

        id: 5
        event: tool_call
        data: {"participant":"b","id":"call_1","name":"get_weather","arguments":"{\"city\":\"Paris\"}"}

        id: 6
        event: error
        data: {"participant":"a","error":{"code":"timeout","message":"The provider timed out before answering; please try again."}}

        id: 7
        event: finish
        data: {"participant":"a","finish_reason":"error","usage":null,"ttft_ms":180,"duration_ms":30180,"stored":true}

        id: 8
        event: finish
        data: {"participant":"b","finish_reason":"tool_calls","usage":{"prompt_tokens":82,"completion_tokens":41,"cache_read_tokens":64,"cache_write_tokens":null,"reasoning_tokens":16},"ttft_ms":412,"duration_ms":1530,"stored":true}

        id: 9
        event: done
        data: {}


        """;

    /// Routing never matches these endpoints by itself: the router in front of them (the Host's gateway) picks one
    /// pipeline per request and runs its endpoint in-process, so two endpoints can share one pattern without ambiguity.
    public static RouteHandlerBuilder DispatchOnly(RouteHandlerBuilder endpoint) => endpoint.WithMetadata(new SuppressMatchingMetadata());

    public static RouteHandlerBuilder Describe(RouteHandlerBuilder endpoint) => endpoint
        .WithTags("Messages")
        .WithSummary("Sends a user message to a session and streams the reply of each of its models.")
        .WithDescription("The gateway sends each session to the `streaming` or the `legacy` pipeline; both answer byte for byte the same. "
            + "The path also answers with a trailing slash. Every problem is sent before the stream starts, as application/problem+json naming the bad field.")
        .Accepts<StreamMessageBody>("application/json")
        .WithMetadata(
            Response(typeof(string), StatusCodes.Status200OK, EventStreamMediaType, StreamDescription),
            Response(typeof(HttpValidationProblemDetails), StatusCodes.Status400BadRequest, "application/problem+json", "The protocol, the body, session_id or messages is invalid; errors names the field."),
            Response(typeof(ProblemDetails), StatusCodes.Status401Unauthorized, "application/problem+json", "No valid bearer token."),
            Response(typeof(ProblemDetails), StatusCodes.Status404NotFound, "application/problem+json", "The session does not exist or belongs to another user."),
            Response(typeof(ProblemDetails), StatusCodes.Status409Conflict, "application/problem+json", "A reply is already streaming in this session, or the turn an Idempotency-Key started can no longer be followed."),
            Response(typeof(HttpValidationProblemDetails), StatusCodes.Status413PayloadTooLarge, "application/problem+json", "The new user message is longer than the configured maximum; errors names messages."),
            Response(typeof(ProblemDetails), StatusCodes.Status422UnprocessableEntity, "application/problem+json", "The Idempotency-Key was already used in this session with another body; errors names the header. Nothing was stored."),
            Response(typeof(ProblemDetails), StatusCodes.Status429TooManyRequests, "application/problem+json", "The caller has as many streams open as one user may (Arena:Limits:StreamsPerUser, counted over the turns admitted), or started too many this minute (Arena:Limits:StreamRequestsPerMinute); nothing was stored. A request that its session refuses (404, 409) holds no open-stream slot: it is answered 404 or 409, never 429 for streams it did not open. Retry-After says when to try again."),
            Response(typeof(ProblemDetails), StatusCodes.Status503ServiceUnavailable, "application/problem+json", "No pipeline can take the stream now (the legacy pipeline is at capacity, no destination is available, or the instance is shutting down); nothing was stored. Retry-After says when to try again."))
        // Headers and the query parameter are read by the pipelines and the gateway themselves, not bound as handler
        // parameters, so endpoint metadata cannot name them; this adds them, with their choices, to this operation only.
        .AddOpenApiOperationTransformer((operation, _, _) =>
        {
            operation.Parameters ??= [];
            operation.Parameters.Add(Parameter("protocol", ParameterLocation.Query, "The wire format of the stream; wins over the X-Arena-Protocol header.", Choice("data", "data", "sse")));
            operation.Parameters.Add(Parameter(StreamRequestReader.ProtocolHeader, ParameterLocation.Header, "The wire format of the stream, when the protocol query parameter is absent.", Choice("data", "data", "sse")));
            operation.Parameters.Add(Parameter(TurnKeys.Header, ParameterLocation.Header, $"Names this start, so that a retry of it (same key, same body) follows the turn the first one started instead of starting another; 1 to {TurnKeys.MaxLength} visible ASCII characters, such as a UUID.", new OpenApiSchema { Type = JsonSchemaType.String, MinLength = 1, MaxLength = TurnKeys.MaxLength }));
            operation.Parameters.Add(Parameter(ResumeStream.ResumeStreamEndpoint.LastEventIdHeader, ParameterLocation.Header, "With an Idempotency-Key that started a turn: the id of the last event the client has; the retry continues after it.", new OpenApiSchema { Type = JsonSchemaType.String, Pattern = "^[0-9]+$" }));
            operation.Parameters.Add(Parameter(PipelineHeader, ParameterLocation.Header, "Asks for one pipeline instead of the gateway's choice; honoured only where Arena:Gateway:AllowOverrideHeader is true.", Choice(null, StreamReplyEndpoint.Pipeline, "legacy")));
            if (operation.Responses?.TryGetValue("200", out var stream) == true && stream is OpenApiResponse streamResponse)
            {
                streamResponse.Headers ??= new Dictionary<string, IOpenApiHeader>();
                streamResponse.Headers[PipelineHeader] = new OpenApiHeader { Description = "The pipeline that served the stream.", Schema = Choice(null, StreamReplyEndpoint.Pipeline, "legacy") };
                if (streamResponse.Content?.TryGetValue(EventStreamMediaType, out var events) == true && events is OpenApiMediaType eventStream)
                {
                    eventStream.Examples = new Dictionary<string, IOpenApiExample>
                    {
                        [DataExampleName] = new OpenApiExample { Summary = "protocol=data: a compare turn, a failing and a tool-calling participant", Value = JsonValue.Create(DataExample) },
                        [SseExampleName] = new OpenApiExample { Summary = "protocol=sse: the same turn", Value = JsonValue.Create(SseExample) },
                    };
                }
            }

            if (operation.RequestBody?.Content?.TryGetValue("application/json", out var body) == true && body is OpenApiMediaType json)
            {
                json.Example = JsonNode.Parse("""{"session_id":"0195a0f2-0000-7000-8000-000000000000","messages":[{"role":"user","content":"Hello!"}]}""");
            }

            return Task.CompletedTask;
        });

    private static ProducesResponseTypeAttribute Response(Type type, int status, string contentType, string description) =>
        new(type, status, contentType) { Description = description };

    private static OpenApiParameter Parameter(string name, ParameterLocation location, string description, OpenApiSchema schema) =>
        new() { Name = name, In = location, Description = description, Schema = schema };

    private static OpenApiSchema Choice(string? fallback, params string[] values) => new()
    {
        Type = JsonSchemaType.String,
        Enum = [.. values.Select(v => (JsonNode)JsonValue.Create(v))],
        Default = fallback is null ? null : JsonValue.Create(fallback),
    };

    /// The body the pipelines read; only for the description, since they parse it themselves to answer their own problems.
    internal sealed class StreamMessageBody
    {
        [Description("One of the caller's sessions.")]
        public required Guid SessionId { get; init; }

        [Description("Only the last user message is read: it is the new turn. The server keeps the earlier conversation itself.")]
        public required IReadOnlyList<ChatMessage> Messages { get; init; }

        [Description("Whether the turn goes on when this connection closes, so that GET /api/sessions/{id}/stream can follow it; defaults to Arena:Messaging:ResumableByDefault. The legacy pipeline answers true with 400.")]
        public bool? Resumable { get; init; }
    }

    internal sealed class ChatMessage
    {
        [Description("user, assistant or system.")]
        [AllowedValues("user", "assistant", "system")]
        public required string Role { get; init; }

        public required string Content { get; init; }
    }
}
