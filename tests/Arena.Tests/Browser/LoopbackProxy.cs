using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Arena.Tests.Browser;

/// A TCP relay on a loopback port in front of the Host, so that a test can cut a browser's connections the way a network
/// does: <see cref="RestartAsync"/> resets every open connection and listens again on the same port.
public sealed class LoopbackProxy : IAsyncDisposable
{
    private readonly IPEndPoint target;
    private readonly ConcurrentDictionary<Socket, byte> sockets = new();
    private TcpListener listener;
    private CancellationTokenSource stopping = new();
    private Task accepting;

    private LoopbackProxy(IPEndPoint target)
    {
        this.target = target;
        listener = Listen(0);
        Port = ((IPEndPoint)listener.LocalEndpoint).Port;
        accepting = AcceptAsync(listener, stopping.Token);
    }

    public int Port { get; }

    public Uri Address => new($"http://127.0.0.1:{Port}/");

    public static LoopbackProxy Start(Uri target) => new(new IPEndPoint(IPAddress.Loopback, target.Port));

    /// Stops listening, resets every relayed connection (both sides see a reset, not a clean end), then listens again.
    public async Task RestartAsync()
    {
        await StopAsync();
        stopping = new CancellationTokenSource();
        listener = Listen(Port);
        accepting = AcceptAsync(listener, stopping.Token);
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    private async Task StopAsync()
    {
        await stopping.CancelAsync();
        listener.Stop();
        foreach (var socket in sockets.Keys)
        {
            Reset(socket);
        }

        await accepting;
        stopping.Dispose();
    }

    private static TcpListener Listen(int port)
    {
        var next = new TcpListener(IPAddress.Loopback, port);
        next.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        next.Start();
        return next;
    }

    private async Task AcceptAsync(TcpListener from, CancellationToken cancellationToken)
    {
        var relays = new List<Task>();
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var client = await from.AcceptSocketAsync(cancellationToken);
                relays.Add(RelayAsync(client, cancellationToken));
            }
        }
        catch (Exception exception) when (exception is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped.
        }

        await Task.WhenAll(relays);
    }

    private async Task RelayAsync(Socket client, CancellationToken cancellationToken)
    {
        var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        sockets[client] = 0;
        sockets[server] = 0;
        try
        {
            await server.ConnectAsync(target, cancellationToken);
            await Task.WhenAny(PumpAsync(client, server, cancellationToken), PumpAsync(server, client, cancellationToken));
        }
        catch (Exception exception) when (exception is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Cut.
        }
        finally
        {
            sockets.TryRemove(client, out _);
            sockets.TryRemove(server, out _);
            Reset(client);
            Reset(server);
        }
    }

    private static async Task PumpAsync(Socket from, Socket to, CancellationToken cancellationToken)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await from.ReceiveAsync(buffer, cancellationToken)) > 0)
            {
                await to.SendAsync(buffer.AsMemory(0, read), cancellationToken);
            }

            to.Shutdown(SocketShutdown.Send);
        }
        catch (Exception exception) when (exception is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Cut.
        }
    }

    private static void Reset(Socket socket)
    {
        try
        {
            // Linger 0: close sends a reset, as a dropped network path looks to both ends.
            socket.LingerState = new LingerOption(true, 0);
            socket.Close();
        }
        catch (ObjectDisposedException)
        {
        }
    }
}
