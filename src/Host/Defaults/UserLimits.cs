using System.Globalization;
using System.Threading.RateLimiting;
using Arena.BuildingBlocks.Limits;
using Arena.BuildingBlocks.Settings;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace Arena.Host.Defaults;

/// Per-user limits on stream requests with ASP.NET Core's rate limiter: a fixed window per minute, counting every stream
/// request, on every path that reaches a pipeline, before the gateway or the gate stores anything. The limit on open
/// streams is not here: a lease taken at the door would be held by requests that their session then refuses (409), so
/// the gate counts only the turns it admits (Messaging's admission, under the same <see cref="UserLimitOptions"/>).
internal static class UserLimits
{
    public static IServiceCollection AddUserLimits(this IServiceCollection services)
    {
        services.AddSettings<UserLimitOptions>(UserLimitOptions.Section);
        services.AddOptions<KestrelServerOptions>().Configure<IOptions<UserLimitOptions>>((kestrel, limits) =>
            kestrel.Limits.MaxRequestHeadersTotalSize = Math.Max(kestrel.Limits.MaxRequestHeadersTotalSize, limits.Value.MaxRequestHeadersTotalSize * 4));
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<UserLimitOptions>>((options, limits) =>
        {
            var settings = limits.Value;
            options.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context => StreamUser(context) is { } user
                ? RateLimitPartition.GetFixedWindowLimiter(user, _ => new FixedWindowRateLimiterOptions { PermitLimit = settings.StreamRequestsPerMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 })
                : RateLimitPartition.GetNoLimiter(""));
            options.OnRejected = RejectAsync;
        });
        services.AddRateLimiter(_ => { });
        return services;
    }

    /// Refuses headers over the configured total with a problem body; Kestrel would otherwise send its bare 431.
    public static async Task RefuseLargeHeadersAsync(HttpContext context, RequestDelegate next)
    {
        var limit = context.RequestServices.GetRequiredService<IOptions<UserLimitOptions>>().Value.MaxRequestHeadersTotalSize;
        long total = 0;
        foreach (var header in context.Request.Headers)
        {
            total += header.Key.Length;
            foreach (var value in header.Value)
            {
                total += value?.Length ?? 0;
            }
        }

        if (total <= limit)
        {
            await next(context);
            return;
        }

        context.Response.StatusCode = StatusCodes.Status431RequestHeaderFieldsTooLarge;
        await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails =
            {
                Status = StatusCodes.Status431RequestHeaderFieldsTooLarge,
                Title = "The request's headers are too large.",
                Detail = string.Create(CultureInfo.InvariantCulture, $"The headers total {total} bytes; at most {limit} are accepted."),
            },
        });
    }

    private static string? StreamUser(HttpContext context) =>
        HttpMethods.IsPost(context.Request.Method)
        && context.Request.Path.Value is { } path
        && (path.EndsWith("/messages/stream/", StringComparison.OrdinalIgnoreCase) || path.EndsWith("/messages/stream", StringComparison.OrdinalIgnoreCase))
        && context.User.FindFirst("sub")?.Value is { Length: > 0 } user
            ? user
            : null;

    private static async ValueTask RejectAsync(OnRejectedContext rejected, CancellationToken cancellationToken)
    {
        var context = rejected.HttpContext;
        var seconds = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)) : 1;
        context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails =
            {
                Status = StatusCodes.Status429TooManyRequests,
                Detail = "You started too many streams this minute; nothing was stored. Retry-After says when to try again.",
            },
        });
    }
}
