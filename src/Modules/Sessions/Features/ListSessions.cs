using System.Buffers.Binary;
using System.Buffers.Text;
using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
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

    internal sealed record Query(string OwnerId, int Limit, string? Cursor) : IQuery<SessionPage>;

    /// NextCursor is written as null on the last page, so it is always present.
    internal sealed record SessionPage(
        IReadOnlyList<SessionResponse> Items,
        [property: Description("Pass it back as cursor for the next page; null on the last page.")] string? NextCursor);

    internal sealed class Validator : AbstractValidator<Query>
    {
        public Validator()
        {
            RuleFor(q => q.Limit).InclusiveBetween(1, MaxLimit);
            RuleFor(q => q.Cursor).Must(cursor => cursor is null || PageCursor.TryDecode(cursor, out _))
                .WithMessage("'cursor' is not a cursor this API returned.");
        }
    }

    /// Most recently active first (a sent turn or a rename moves a session up), keyset-paged on (updated_at, id) so that
    /// a page boundary stays put while sessions are added or touched: a row is never returned twice in one walk.
    internal sealed class Handler(SessionsDbContext db, SessionActivity activity) : IQueryHandler<Query, SessionPage>
    {
        public async ValueTask<SessionPage> Handle(Query query, CancellationToken cancellationToken)
        {
            await activity.WriteAsync(query.OwnerId, cancellationToken);
            var sessions = db.Sessions.AsNoTracking().Where(s => s.OwnerId == query.OwnerId);
            if (query.Cursor is not null && PageCursor.TryDecode(query.Cursor, out var after))
            {
                sessions = sessions.Where(s => s.UpdatedAt < after.UpdatedAt || (s.UpdatedAt == after.UpdatedAt && s.Id.CompareTo(after.Id) < 0));
            }

            var page = await sessions
                .OrderByDescending(s => s.UpdatedAt).ThenByDescending(s => s.Id)
                .Take(query.Limit + 1)
                .ToListAsync(cancellationToken);
            var next = page.Count > query.Limit ? PageCursor.Encode(page[query.Limit - 1].UpdatedAt, page[query.Limit - 1].Id) : null;
            return new SessionPage(page.Take(query.Limit).Select(SessionResponse.From).ToList(), next);
        }
    }

    internal static void Map(RouteGroupBuilder group) =>
        group.MapGet("/", async Task<Ok<SessionPage>> (
                ClaimsPrincipal user,
                IMediator mediator,
                CancellationToken cancellationToken,
                [Range(1, MaxLimit), DefaultValue(DefaultLimit), Description("Sessions per page.")] int? limit,
                [Description("The next_cursor of the previous page.")] string? cursor) =>
                TypedResults.Ok(await mediator.Send(new Query(Owner.Id(user), limit ?? DefaultLimit, cursor), cancellationToken)))
            .WithName("ListSessions")
            .WithSummary("Lists the caller's sessions, most recently active first; pass next_cursor back as cursor for the next page.")
            .ProducesValidationProblem();

    /// An opaque keyset position: the last row's activity time and id.
    internal static class PageCursor
    {
        public static string Encode(DateTimeOffset updatedAt, Guid id)
        {
            Span<byte> bytes = stackalloc byte[24];
            BinaryPrimitives.WriteInt64BigEndian(bytes, updatedAt.UtcTicks);
            id.TryWriteBytes(bytes[8..], bigEndian: true, out _);
            return Base64Url.EncodeToString(bytes);
        }

        public static bool TryDecode(string cursor, out (DateTimeOffset UpdatedAt, Guid Id) position)
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
