using Microsoft.Extensions.DependencyInjection;

namespace Arena.Tests.Support;

/// A piece that fixtures are composed of instead of inheriting it: the settings it adds, the services it adds or
/// replaces, and whatever it runs beside the Host, which <see cref="ArenaApp"/> disposes after the Host.
public abstract class ArenaAppPart : IAsyncDisposable
{
    /// Settings alone, for a fixture that differs from another by a few values.
    public static ArenaAppPart Settings(params (string Key, string? Value)[] values) => new SettingsPart(values);

    /// Services alone, such as a log capture.
    public static ArenaAppPart Services(Action<IServiceCollection> add) => new ServicesPart(add);

    public virtual void Configure(IDictionary<string, string?> settings)
    {
    }

    public virtual void ConfigureServices(IServiceCollection services)
    {
    }

    public virtual ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }

    private sealed class SettingsPart((string Key, string? Value)[] values) : ArenaAppPart
    {
        public override void Configure(IDictionary<string, string?> settings)
        {
            foreach (var (key, value) in values)
            {
                settings[key] = value;
            }
        }
    }

    private sealed class ServicesPart(Action<IServiceCollection> add) : ArenaAppPart
    {
        public override void ConfigureServices(IServiceCollection services) => add(services);
    }
}
