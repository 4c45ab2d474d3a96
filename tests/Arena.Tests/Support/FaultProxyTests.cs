using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Arena.Tests.Support;

public sealed class FaultProxyTests : IAsyncDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private readonly TcpListener echo = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource stopping = new();
    private readonly FaultProxy proxy;

    public FaultProxyTests()
    {
        echo.Start();
        _ = EchoAsync();
        proxy = FaultProxy.Start(new Uri($"http://{IPAddress.Loopback}:{((IPEndPoint)echo.LocalEndpoint).Port}/"));
    }

    [Fact]
    public async Task Pass_ByteSent_ComesBackThroughTheAddress()
    {
        using var client = await ConnectAsync();

        Assert.Equal("hello", await RoundTripAsync(client, "hello"));
        Assert.Equal(proxy.Port, proxy.Address.Port);
        Assert.Equal("127.0.0.1", proxy.Address.Host);
    }

    [Theory]
    [InlineData("drop")]
    [InlineData("restart")]
    public async Task DropOrRestart_OpenConnection_IsResetAndTheSamePortStillPasses(string cut)
    {
        using var open = await ConnectAsync();
        Assert.Equal("before", await RoundTripAsync(open, "before"));

        if (cut == "drop")
        {
            proxy.Drop();
        }
        else
        {
            proxy.Restart();
        }

        await AssertCutAsync(open);
        using var next = await ConnectAsync();
        Assert.Equal("after", await RoundTripAsync(next, "after"));
    }

    [Fact]
    public async Task Refuse_NewConnection_IsRefusedUntilItPassesAgain()
    {
        proxy.Refuse();

        var refused = await Assert.ThrowsAsync<SocketException>(ConnectAsync);
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
        proxy.Pass();
        using var next = await ConnectAsync();
        Assert.Equal("back", await RoundTripAsync(next, "back"));
    }

    public async ValueTask DisposeAsync()
    {
        await proxy.DisposeAsync();
        await stopping.CancelAsync();
        echo.Stop();
        stopping.Dispose();
    }

    private async Task<TcpClient> ConnectAsync()
    {
        var client = new TcpClient();
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, proxy.Port);
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    private static async Task<string> RoundTripAsync(TcpClient client, string text)
    {
        using var patience = new CancellationTokenSource(Patience);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.UTF8.GetBytes(text), patience.Token);
        var buffer = new byte[text.Length];
        await stream.ReadExactlyAsync(buffer, patience.Token);
        return Encoding.UTF8.GetString(buffer);
    }

    /// A cut connection reads as a reset or as its end, whichever the client's socket sees first; it never answers again.
    private static async Task AssertCutAsync(TcpClient client)
    {
        using var patience = new CancellationTokenSource(Patience);
        var stream = client.GetStream();
        try
        {
            await stream.WriteAsync("gone?"u8.ToArray(), patience.Token);
            Assert.Equal(0, await stream.ReadAsync(new byte[16], patience.Token));
        }
        catch (IOException exception) when (exception.InnerException is SocketException)
        {
        }
    }

    private async Task EchoAsync()
    {
        while (!stopping.IsCancellationRequested)
        {
            Socket accepted;
            try
            {
                accepted = await echo.AcceptSocketAsync(stopping.Token);
            }
            catch (Exception exception) when (exception is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = Task.Run(async () =>
            {
                using var socket = accepted;
                var buffer = new byte[1024];
                try
                {
                    int read;
                    while ((read = await socket.ReceiveAsync(buffer, stopping.Token)) > 0)
                    {
                        await socket.SendAsync(buffer.AsMemory(0, read), stopping.Token);
                    }
                }
                catch (Exception exception) when (exception is OperationCanceledException or SocketException or ObjectDisposedException)
                {
                }
            });
        }
    }
}
