using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Arena.Tests.Support;

/// A loopback TCP relay put in front of a server (PostgreSQL for the Host, or the Host for a browser), which a test switches
/// between passing bytes, hanging (connections are accepted and every byte in either direction is held, like a partitioned
/// network) and refusing (nothing listens, and open connections are reset), and back; it can also drop the open
/// connections or restart on the same port. Bytes held while hanging are delivered in order once the proxy passes again.
public sealed class FaultProxy : IAsyncDisposable
{
    private readonly IPEndPoint target;
    private readonly Lock gate = new();
    private readonly ConcurrentDictionary<TcpClient, byte> open = new();
    private readonly CancellationTokenSource stopping = new();
    private TcpListener? listener;
    private TaskCompletionSource flowing = Passing();

    private FaultProxy(IPEndPoint target)
    {
        this.target = target;
        var first = new TcpListener(IPAddress.Loopback, 0);
        first.Start();
        Port = ((IPEndPoint)first.LocalEndpoint).Port;
        Listen(first);
    }

    public int Port { get; }

    /// Added before each chunk is passed on, in either direction: a slow network, which widens the time between a
    /// request's statements without changing their order.
    public TimeSpan Latency { get; set; }

    /// Starts a proxy in front of the server that <paramref name="connectionString"/> names.
    public static FaultProxy Start(string connectionString)
    {
        var server = new NpgsqlConnectionStringBuilder(connectionString);
        var address = Dns.GetHostAddresses(server.Host!).First(a => a.AddressFamily == AddressFamily.InterNetwork);
        return new FaultProxy(new IPEndPoint(address, server.Port));
    }

    /// Starts a proxy in front of the loopback HTTP server at <paramref name="target"/>.
    public static FaultProxy Start(Uri target) => new(new IPEndPoint(IPAddress.Loopback, target.Port));

    /// Where an HTTP client reaches the server through this proxy.
    public Uri Address => new($"http://{IPAddress.Loopback}:{Port}/");

    /// The same connection string, going through this proxy.
    public string Through(string connectionString) =>
        new NpgsqlConnectionStringBuilder(connectionString) { Host = IPAddress.Loopback.ToString(), Port = Port }.ConnectionString;

    public void Pass()
    {
        lock (gate)
        {
            if (listener is null)
            {
                var again = new TcpListener(IPAddress.Loopback, Port);
                again.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
                again.Start();
                Listen(again);
            }

            flowing.TrySetResult();
        }
    }

    public void Hang()
    {
        lock (gate)
        {
            if (flowing.Task.IsCompleted)
            {
                flowing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
    }

    /// New connections are refused (nothing listens on the port) and open ones are reset.
    public void Refuse()
    {
        lock (gate)
        {
            listener?.Stop();
            listener = null;
            Drop();
        }
    }

    /// Resets every open connection, both ends seeing a reset as when a network path goes away, and keeps listening.
    public void Drop()
    {
        lock (gate)
        {
            foreach (var client in open.Keys)
            {
                Reset(client);
            }
        }
    }

    /// Refuses, then passes again on the same port: to its clients, a server that restarted.
    public void Restart()
    {
        lock (gate)
        {
            Refuse();
            Pass();
        }
    }

    private static TaskCompletionSource Passing()
    {
        var passing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        passing.SetResult();
        return passing;
    }

    private void Listen(TcpListener started)
    {
        listener = started;
        _ = AcceptAsync(started);
    }

    private async Task AcceptAsync(TcpListener from)
    {
        while (!stopping.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await from.AcceptTcpClientAsync(stopping.Token);
            }
            catch (Exception exception) when (exception is SocketException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
            {
                return;
            }

            _ = RelayAsync(client);
        }
    }

    private async Task RelayAsync(TcpClient client)
    {
        using var upstream = new TcpClient();
        open[client] = 0;
        open[upstream] = 0;
        try
        {
            // A hanging proxy holds even the connection's first bytes, as a server that accepted but never answers would.
            await WaitFlowingAsync();
            await upstream.ConnectAsync(target, stopping.Token);
            var toServer = PumpAsync(client.GetStream(), upstream.GetStream());
            var toClient = PumpAsync(upstream.GetStream(), client.GetStream());
            await Task.WhenAny(toServer, toClient);
        }
        catch (Exception exception) when (exception is IOException or SocketException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
        }
        finally
        {
            open.TryRemove(client, out _);
            open.TryRemove(upstream, out _);
            client.Dispose();
        }
    }

    private async Task PumpAsync(NetworkStream from, NetworkStream to)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReadAsync(buffer, stopping.Token);
                if (read == 0)
                {
                    return;
                }

                await WaitFlowingAsync();
                if (Latency > TimeSpan.Zero)
                {
                    await Task.Delay(Latency, stopping.Token);
                }

                await to.WriteAsync(buffer.AsMemory(0, read), stopping.Token);
            }
        }
        catch (Exception exception) when (exception is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
        }
    }

    private Task WaitFlowingAsync()
    {
        Task wait;
        lock (gate)
        {
            wait = flowing.Task;
        }

        return wait.WaitAsync(stopping.Token);
    }

    private static void Reset(TcpClient client)
    {
        if (client.Client is not { } socket)
        {
            return;
        }

        try
        {
            // Linger zero: closing sends RST, as a server that went away does, instead of an orderly FIN.
            socket.LingerState = new LingerOption(true, 0);
            socket.Close();
        }
        catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
        {
        }
    }

    public ValueTask DisposeAsync()
    {
        stopping.Cancel();
        Refuse();

        stopping.Dispose();
        return ValueTask.CompletedTask;
    }
}
