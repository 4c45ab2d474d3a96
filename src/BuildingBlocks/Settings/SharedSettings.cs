using Microsoft.Extensions.DependencyInjection;

namespace Arena.BuildingBlocks.Settings;

public static class SharedSettings
{
    /// Binds a section that several modules read, and checks it at start-up, once however many of them register it: a
    /// second binding would report every broken rule twice. Each reader registers it, so that none of them depends on
    /// another having been added first.
    public static void AddSharedSettings<TOptions>(this IServiceCollection services, string section)
        where TOptions : class
    {
        if (services.Any(service => service.ServiceType == typeof(Bound<TOptions>)))
        {
            return;
        }

        services.AddSingleton<Bound<TOptions>>();
        services.AddOptions<TOptions>().BindConfiguration(section).ValidateDataAnnotations().ValidateOnStart();
    }

    private sealed class Bound<TOptions>;
}
