using System.Security.Claims;
using Arena.Modules.Messaging.Streaming;
using Arena.Modules.Sessions.Contracts;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Arena.Modules.Messaging.Features;

/// Stop is not disconnect: it cancels the session's streaming turn wherever it runs, and answers once its replies are
/// saved as <c>cancelled</c> with what had arrived.
internal static class StopTurn
{
    internal sealed record StopResponse(bool Stopped);

    internal static void Map(IEndpointRouteBuilder api) =>
        api.MapPost("/sessions/{id:guid}/stop", async Task<Results<Ok<StopResponse>, NotFound, ProblemHttpResult>> (Guid id, ClaimsPrincipal user, IMediator mediator, TurnStops stops, CancellationToken cancellationToken) =>
            {
                if (await mediator.Send(new FindSession(id, user.FindFirstValue("sub")!), cancellationToken) is null)
                {
                    return TypedResults.NotFound();
                }

                return await stops.StopAsync(id, cancellationToken) switch
                {
                    TurnStops.Outcome.NothingStreaming => TypedResults.Ok(new StopResponse(false)),
                    TurnStops.Outcome.Stopped => TypedResults.Ok(new StopResponse(true)),
                    _ => TypedResults.Problem(
                        statusCode: StatusCodes.Status503ServiceUnavailable,
                        title: "The turn did not stop in time.",
                        detail: "Its instance did not answer; its replies end as interrupted once that instance's lease lapses."),
                };
            })
            .WithTags("Messages")
            .WithName("StopTurn")
            .WithSummary("Stops the reply streaming in one of the caller's sessions; answers once its rows are saved as cancelled.")
            .WithDescription("stopped is false when nothing was streaming. Works from any client and any instance; the stream's clients receive an error event with code cancelled per unfinished participant, then the end.");
}
