using System.Globalization;
using System.Security.Claims;
using System.Text.Json.Nodes;
using Arena.Modules.Messaging.Features.StreamReply;
using Arena.Modules.Messaging.Streaming;
using Arena.Modules.Sessions.Contracts;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.OpenApi;

namespace Arena.Modules.Messaging.Features.ResumeStream;

/// <c>GET /sessions/{id}/stream</c>: the session's last turn as a stream, after the position a client already has
/// (<see cref="TurnResume"/>); 204 when there is nothing to resume, or nothing left: the client has the final event.
internal static class ResumeStreamEndpoint
{
    public const string LastEventIdHeader = "Last-Event-ID";

    public const string LastEventIdQuery = "last_event_id";

    /// The position a client has (0 without one), or null with a problem naming <paramref name="field"/>.
    public static long? ReadPosition(string field, string? text, out IResult? problem)
    {
        problem = null;
        if (string.IsNullOrEmpty(text))
        {
            return 0;
        }

        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var after))
        {
            return after;
        }

        problem = StreamProblems.Invalid(field, $"'{field}' must be the id of an event of this stream (a non-negative integer).");
        return null;
    }

    public static void Map(IEndpointRouteBuilder api) =>
        api.MapGet("/sessions/{id:guid}/stream", HandleAsync)
            .WithTags("Messages")
            .WithName("ResumeStream")
            .WithSummary("Follows the session's last turn: replays every event after Last-Event-ID, then continues live until the turn ends.")
            .WithDescription("An EventSource pointed at this URL resumes by itself. 204 when no turn is streaming and none ended within the retention window, "
                + "or when Last-Event-ID is already the turn's final event (which tells an EventSource to stop reconnecting). "
                + "protocol=data resumes the data protocol, where the position is the number of lines already read.")
            .Produces<string>(StatusCodes.Status200OK, "text/event-stream")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            // The handler reads these itself, so that a bad value is answered in the stream's terms.
            .AddOpenApiOperationTransformer((operation, _, _) =>
            {
                operation.Parameters ??= [];
                operation.Parameters.Add(Parameter(LastEventIdQuery, ParameterLocation.Query, $"The id of the last event the client has; wins over the {LastEventIdHeader} header."));
                operation.Parameters.Add(Parameter(LastEventIdHeader, ParameterLocation.Header, "The id of the last event the client has, as an EventSource sends it on its reconnects."));
                operation.Parameters.Add(new OpenApiParameter
                {
                    Name = "protocol",
                    In = ParameterLocation.Query,
                    Description = $"The wire format to resume; wins over the {StreamRequestReader.ProtocolHeader} header.",
                    Schema = new OpenApiSchema { Type = JsonSchemaType.String, Enum = [JsonValue.Create("sse"), JsonValue.Create("data")], Default = JsonValue.Create("sse") },
                });
                return Task.CompletedTask;
            });

    private static OpenApiParameter Parameter(string name, ParameterLocation location, string description) =>
        new() { Name = name, In = location, Description = description, Schema = new OpenApiSchema { Type = JsonSchemaType.String, Pattern = "^[0-9]+$" } };

    private static async Task HandleAsync(Guid id, HttpContext context, ClaimsPrincipal user, IMediator mediator, TurnResume resume)
    {
        var cancellationToken = context.RequestAborted;
        var request = context.Request;
        if (StreamRequestReader.ReadProtocol(request.Query["protocol"], request.Headers[StreamRequestReader.ProtocolHeader], StreamProtocol.Sse, out var invalid) is not { } protocol)
        {
            await invalid!.ExecuteAsync(context);
            return;
        }

        // The query wins: a client that put it there meant it, and an EventSource adds the header on its own reconnects.
        var (field, text) = request.Query.ContainsKey(LastEventIdQuery)
            ? (LastEventIdQuery, (string?)request.Query[LastEventIdQuery])
            : (LastEventIdHeader, (string?)request.Headers[LastEventIdHeader]);
        if (ReadPosition(field, text, out var invalidPosition) is not { } after)
        {
            await invalidPosition!.ExecuteAsync(context);
            return;
        }

        var session = await mediator.Send(new FindSession(id, user.FindFirstValue("sub")!), cancellationToken);
        if (session is null)
        {
            await StreamProblems.Missing().ExecuteAsync(context);
            return;
        }

        // The end is final: an EventSource stops reconnecting on a 204, where an empty 200 would have it poll for as
        // long as its page stays open.
        if (await resume.ServeAsync(context, session, protocol, after, cancellationToken) != TurnResume.Outcome.Answered)
        {
            context.Response.StatusCode = StatusCodes.Status204NoContent;
        }
    }
}
