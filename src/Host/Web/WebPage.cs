using Microsoft.AspNetCore.StaticFiles;

namespace Arena.Host.Web;

/// The page for people at <c>/</c>: static files from wwwroot, and in Development the sign-in-by-name endpoint.
internal static class WebPage
{
    // Model output is rendered into this page, so the page allows no inline script, no other origin and no plugin:
    // even a renderer bug could not run injected code or send data elsewhere.
    private const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    public static IHostApplicationBuilder AddWebPage(this IHostApplicationBuilder builder)
    {
        if (builder.Environment.IsDevelopment())
        {
            builder.AddDevelopmentTokens();
        }

        return builder;
    }

    public static WebApplication MapWebPage(this WebApplication app)
    {
        app.UseDefaultFiles();
        app.UseStaticFiles(new StaticFileOptions { OnPrepareResponse = AddPageHeaders });
        if (app.Environment.IsDevelopment())
        {
            app.MapDevelopmentTokens();
        }

        return app;
    }

    private static void AddPageHeaders(StaticFileResponseContext context)
    {
        var headers = context.Context.Response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        // Revalidated on every load (a cheap 304 by ETag), so a deployment never leaves a browser on yesterday's script.
        headers.CacheControl = "no-cache";
    }
}
