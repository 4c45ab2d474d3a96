using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Arena.BuildingBlocks.Settings;

public static class SettingsRegistration
{
    /// Binds a settings section and checks it at start-up, with its DataAnnotations and <typeparamref name="TValidator"/>.
    public static void AddSettings<TOptions, TValidator>(this IServiceCollection services, string section)
        where TOptions : class
        where TValidator : class, IValidateOptions<TOptions>
    {
        services.AddSettings<TOptions>(section);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TOptions>, TValidator>());
    }

    /// Binds a settings section and checks its DataAnnotations at start-up, once however many modules register it: a
    /// second binding would report every broken rule twice. Each module registers the sections it reads, so that none
    /// depends on another having been added first.
    public static void AddSettings<TOptions>(this IServiceCollection services, string section)
        where TOptions : class
    {
        if (services.Any(service => service.ServiceType == typeof(Bound<TOptions>)))
        {
            return;
        }

        services.AddSingleton<Bound<TOptions>>();
        services.AddOptions<TOptions>().BindConfiguration(section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TOptions>>(new AnnotatedSettings<TOptions>(section));
    }

    private sealed class Bound<TOptions>;
}
