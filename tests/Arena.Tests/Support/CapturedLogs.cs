using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Arena.Tests.Support;

/// Every log entry the Host writes once <see cref="AddTo"/> registered this with its ILoggerFactory: as text (message,
/// structured values, exception, and each scope as it begins), and as the category, level and trace id that the logging
/// infrastructure attaches from the current activity (the same scope a console or OTLP exporter writes), with the
/// exception it carried.
public sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<string> lines = new();
    private readonly ConcurrentQueue<Entry> entries = new();
    private readonly ScopeReader reader = new();

    public IReadOnlyList<string> Lines => [.. lines];

    public IReadOnlyList<Entry> Entries => [.. entries];

    public void AddTo(IServiceCollection services)
    {
        services.AddSingleton<ILoggerProvider>(this);
        services.AddSingleton<ILoggerProvider>(reader);
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    public sealed record Entry(string Category, LogLevel Level, string? TraceId, Exception? Exception = null);

    private string? TraceId()
    {
        string? traceId = null;
        reader.Scopes?.ForEachScope(
            (scope, _) =>
            {
                if (scope is IEnumerable<KeyValuePair<string, object?>> pairs)
                {
                    foreach (var pair in pairs.Where(p => p.Key == "TraceId"))
                    {
                        traceId = pair.Value?.ToString();
                    }
                }
            },
            (object?)null);
        return traceId;
    }

    private sealed class Logger(CapturedLogs owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull
        {
            owner.lines.Enqueue($"{category} scope: {state}");
            return null;
        }

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = state is IEnumerable<KeyValuePair<string, object?>> pairs ? string.Join(", ", pairs.Select(p => $"{p.Key}={p.Value}")) : "";
            owner.lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} [{values}] {exception}");
            owner.entries.Enqueue(new Entry(category, logLevel, owner.TraceId(), exception));
        }
    }

    /// The factory hands its shared scopes (the activity's among them) only to providers that take external scopes, and
    /// those are never told when a scope begins: this one takes them for the capture, which records scopes as they begin.
    private sealed class ScopeReader : ILoggerProvider, ISupportExternalScope
    {
        public IExternalScopeProvider? Scopes { get; private set; }

        public void SetScopeProvider(IExternalScopeProvider scopeProvider) => Scopes = scopeProvider;

        public ILogger CreateLogger(string categoryName) => NullLogger.Instance;

        public void Dispose()
        {
        }
    }
}
