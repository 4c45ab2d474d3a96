using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Arena.Tests.Telemetry;

/// Records, for each log entry, the trace id that the logging infrastructure attaches from the current activity
/// (the same scope a console or OTLP exporter writes), keyed by the entry's category.
public sealed class TracedLogs : ILoggerProvider, ISupportExternalScope
{
    private readonly ConcurrentQueue<(string Category, LogLevel Level, string? TraceId)> entries = new();
    private IExternalScopeProvider? scopes;

    public IReadOnlyList<(string Category, LogLevel Level, string? TraceId)> Entries => [.. entries];

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => scopes = scopeProvider;

    public void Dispose()
    {
    }

    private sealed class Logger(TracedLogs owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => owner.scopes?.Push(state);

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            string? traceId = null;
            owner.scopes?.ForEachScope(
                (scope, _) =>
                {
                    if (scope is IEnumerable<KeyValuePair<string, object?>> pairs)
                    {
                        foreach (var pair in pairs)
                        {
                            if (pair.Key == "TraceId")
                            {
                                traceId = pair.Value?.ToString();
                            }
                        }
                    }
                },
                (object?)null);
            owner.entries.Enqueue((category, logLevel, traceId));
        }
    }
}
