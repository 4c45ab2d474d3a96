using System.Buffers.Binary;
using System.Buffers.Text;
using System.Security.Claims;
using Arena.Modules.Sessions.Persistence;
using FluentValidation;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Arena.Modules.Sessions.Features;

internal static class ListSessions
{
    public const int DefaultLimit = 20;
    public const int MaxLimit = 100;

    internal sealed record Query(string OwnerId, int Limit, string? Cursor) : IQuery<Response>;

    internal sealed record Response(IReadOnlyList<SessionResponse> Items, string? NextCursor);

    internal sealed class Validator : AbstractValidator<Query>
    {
        public Validator()
        {
            RuleFor(q => q.Limit).InclusiveBetween(1, MaxLimit);
            RuleFor(q => q.Cursor).Must(cursor => cursor is null || PageCursor.TryDecode(cursor, out _))
                .WithMessage("'cursor' is not a cursor this API returned.");
        }
    }

    internal sealed class Handler(SessionsDbContext db) : IQueryHandler<Query, Response>
    {
        public async ValueTask<Response> Handle(Query query, CancellationToken cancellationToken)
        {
            var sessions = db.Sessions.AsNoTracking().Where(s => s.OwnerId == query.OwnerId);
            if (query.Cursor is not null && PageCursor.TryDecode(query.Cursor, out var after))
            {
                sessions = sessions.Where(s => s.CreatedAt < after.CreatedAt || (s.CreatedAt == after.CreatedAt && s.Id.CompareTo(after.Id) < 0));
            }

            var page = await sessions
                .OrderByDescending(s => s.CreatedAt).ThenByDescending(s => s.Id)
                .Take(query.Limit + 1)
                .ToListAsync(cancellationToken);
            var next = page.Count > query.Limit ? PageCursor.Encode(page[query.Limit - 1].CreatedAt, page[query.Limit - 1].Id) : null;
            return new Response(page.Take(query.Limit).Select(SessionResponse.From).ToList(), next);
        }
    }

    internal static void Map(RouteGroupBuilder group) =>
        group.MapGet("/", async Task<Ok<Response>> (ClaimsPrincipal user, IMediator mediator, CancellationToken cancellationToken, int? limit, string? cursor) =>
                TypedResults.Ok(await mediator.Send(new Query(Owner.Id(user), limit ?? DefaultLimit, cursor), cancellationToken)))
            .WithName("ListSessions")
            .WithSummary("Lists the caller's sessions, newest first; pass next_cursor back as cursor for the next page.")
            .ProducesValidationProblem();

    /// An opaque keyset position: the last row's creation time and id, so paging stays stable while sessions are added.
    internal static class PageCursor
    {
        public static string Encode(DateTimeOffset createdAt, Guid id)
        {
            Span<byte> bytes = stackalloc byte[24];
            BinaryPrimitives.WriteInt64BigEndian(bytes, createdAt.UtcTicks);
            id.TryWriteBytes(bytes[8..], bigEndian: true, out _);
            return Base64Url.EncodeToString(bytes);
        }

        public static bool TryDecode(string cursor, out (DateTimeOffset CreatedAt, Guid Id) position)
        {
            position = default;
            Span<byte> bytes = stackalloc byte[24];
            if (cursor.Length != 32 || !Base64Url.TryDecodeFromChars(cursor, bytes, out var written) || written != 24)
            {
                return false;
            }

            var ticks = BinaryPrimitives.ReadInt64BigEndian(bytes);
            if (ticks < DateTimeOffset.MinValue.UtcTicks || ticks > DateTimeOffset.MaxValue.UtcTicks)
            {
                return false;
            }

            position = (new DateTimeOffset(ticks, TimeSpan.Zero), new Guid(bytes[8..], bigEndian: true));
            return true;
        }
    }
}
