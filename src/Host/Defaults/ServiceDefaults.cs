using System.Text.Json;
using System.Text.Json.Serialization;
using FluentValidation;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Scalar.AspNetCore;

namespace Arena.Host.Defaults;

/// What every request gets, whatever the module: JSON conventions, problem details, authentication, health, API description.
internal static class ServiceDefaults
{
    public const string ApiPolicy = "api";
    public const string ReadyPath = "/health/ready";
    public const string BearerSection = "Authentication:Schemes:Bearer";
    public const string ClockSkewKey = BearerSection + ":ClockSkew";
    public static readonly TimeSpan DefaultClockSkew = TimeSpan.FromSeconds(30);

    public static IHostApplicationBuilder AddServiceDefaults(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSingleton(TimeProvider.System);
        builder.AddTelemetry();

        // The old service's clients send and read snake_case; enums travel as lowercase strings.
        services.Configure<JsonOptions>(options => ConfigureJson(options.SerializerOptions));
        ValidatorOptions.Global.DefaultRuleLevelCascadeMode = CascadeMode.Stop;
        ValidatorOptions.Global.DisplayNameResolver = (_, member, _) => member is null ? null : JsonNamingPolicy.SnakeCaseLower.ConvertName(member.Name);

        services.AddProblemDetails(options => options.CustomizeProblemDetails = ProblemTitles.Apply);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IProblemDetailsWriter, AnyAcceptProblemWriter>());
        services.AddExceptionHandler<ProblemExceptionHandler>();
        // Binding failures become exceptions so that the handler above can name the field instead of sending a bare 400.
        services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);

        // Issuer, audiences and signing keys come from Authentication:Schemes:Bearer (dotnet user-jwts writes them in development).
        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(options =>
        {
            options.MapInboundClaims = false;
            options.Events = new JwtBearerEvents { OnMessageReceived = EventSourceToken.ReadFromQuery, OnTokenValidated = LongSubjects.ShortenAsync };
        });
        // The library's 5 minutes would keep an expired token working that long; clocks synchronised by NTP need far less.
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme).Configure<IConfiguration>((options, configuration) =>
            options.TokenValidationParameters.ClockSkew = configuration.GetValue(ClockSkewKey, DefaultClockSkew));
        // Rebuilt when the configuration reloads: a key that `dotnet user-jwts create` writes while the Host runs, or a
        // rotated one, is trusted without a restart. Each build holds its keys as a list, because ASP.NET Core hands them
        // over as a lazy sequence that makes new key objects, and so new signature providers, for every request.
        services.AddSingleton<IOptionsChangeTokenSource<JwtBearerOptions>>(
            new ConfigurationChangeTokenSource<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme, builder.Configuration.GetSection(BearerSection)));
        services.PostConfigure<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme, options =>
            options.TokenValidationParameters.IssuerSigningKeys = options.TokenValidationParameters.IssuerSigningKeys?.ToList());
        if (!builder.Environment.IsDevelopment())
        {
            // Development is exempt because its signing key appears only once `dotnet user-jwts create` has run.
            services.AddSingleton<IValidateOptions<JwtBearerOptions>, BearerOptionsValidator>();
            services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme).ValidateOnStart();
        }

        services.AddAuthorizationBuilder()
            .AddPolicy(ApiPolicy, policy => policy.RequireAuthenticatedUser().RequireClaim("sub"));

        services.AddUserLimits();
        services.AddHealthChecks();
        services.AddOpenApi(options => options.AddDocumentTransformer<BearerSecuritySchemeTransformer>()
            .AddSchemaTransformer<SchemaConventions>().AddOperationTransformer<ProblemResponses>().AddDocumentTransformer<ApiDocumentConventions>().AddDocumentTransformer<ApiDocumentInfo>());
        return builder;
    }

    public static WebApplication UseServiceDefaults(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.Use(UserLimits.RefuseLargeHeadersAsync);
        app.UseAuthentication();
        app.UseAuthorization();
        // After authentication: the limits are per user.
        app.UseRateLimiter();

        // A stopping instance is not ready, whatever its checks say: the load balancer stops sending it work while its
        // streams drain (see the Messaging module's drain). Answered without running the checks, as before the start.
        var lifetime = app.Services.GetRequiredService<IHostApplicationLifetime>();
        app.UseWhen(
            context => lifetime.ApplicationStopping.IsCancellationRequested && context.Request.Path.Equals(ReadyPath, StringComparison.OrdinalIgnoreCase),
            stopping => stopping.Run(context =>
            {
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                context.Response.Headers.CacheControl = "no-store, no-cache";
                return context.Response.WriteAsync(nameof(HealthStatus.Unhealthy));
            }));
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks(ReadyPath, new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready") });
        app.MapOpenApi();
        app.MapScalarApiReference(options => options.WithTitle("Arena API"));
        return app;
    }

    public static void ConfigureJson(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        options.DictionaryKeyPolicy = null;
        // Numbers are numbers: the web default also reads them from strings, which the API description would then have to admit.
        options.NumberHandling = JsonNumberHandling.Strict;
        options.Converters.Add(new ExactEnumConverter());
    }
}
