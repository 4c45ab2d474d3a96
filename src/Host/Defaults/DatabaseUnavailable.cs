using System.Net.Sockets;
using Npgsql;

namespace Arena.Host.Defaults;

/// Recognises a database that cannot be reached or did not answer in time (refused, reset, timed out, shutting down,
/// out of connections) however deep EF or a Mediator handler wrapped it. Such a request is answered 503 with
/// <c>Retry-After</c>: the client may simply try again, and nothing about its input was wrong.
internal static partial class DatabaseUnavailable
{
    public const int RetryAfterSeconds = 5;

    public static NpgsqlException? Find(Exception? exception)
    {
        for (; exception is not null; exception = exception.InnerException)
        {
            // IsTransient covers I/O, socket and timeout failures and the server's own "try again" codes (08xxx, 53xxx, 57P0x);
            // a constraint or data error is not transient and stays what it is.
            if (exception is NpgsqlException { IsTransient: true } transient)
            {
                return transient;
            }
        }

        return null;
    }

    /// A connection that failed on the wire (reset, refused) means the server went away, and so did every idle connection
    /// the modules' data sources hold: Npgsql does not test a pooled connection before handing it out, so each of them
    /// would fail one more request after the server is back. A command timeout alone says nothing about the others, and
    /// leaves them be.
    public static void ForgetConnections(IServiceProvider services, NpgsqlException outage)
    {
        if (outage.InnerException is not (IOException or SocketException))
        {
            return;
        }

        foreach (var dataSource in services.GetKeyedServices<NpgsqlDataSource>(KeyedService.AnyKey))
        {
            dataSource.Clear();
        }
    }

    [LoggerMessage(LogLevel.Warning, "The database is unavailable; answered {Method} {Path} with 503: {Reason}")]
    public static partial void Log(ILogger logger, string method, string path, string reason);
}
