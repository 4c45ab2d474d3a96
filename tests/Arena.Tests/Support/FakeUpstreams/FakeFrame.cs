using System.Text;

namespace Arena.Tests.Support.FakeUpstreams;

/// One step of a scripted response body: bytes to write (and flush), a pause, a stall or a cut connection.
public abstract record FakeFrame
{
    /// Writes the text as UTF-8 and flushes it, so it reaches the client as its own write.
    public static FakeFrame Text(string text) => new BytesFrame(Encoding.UTF8.GetBytes(text));

    public static FakeFrame Bytes(byte[] bytes) => new BytesFrame(bytes);

    public static FakeFrame Delay(TimeSpan delay) => new DelayFrame(delay);

    /// Sends nothing more until <paramref name="gate"/> completes (or the client goes away): a pause the test ends.
    public static FakeFrame Until(Task gate) => new GateFrame(gate);

    /// Sends nothing more and never ends: waits until the client goes away.
    public static FakeFrame Stall { get; } = new StallFrame();

    /// Aborts the connection on the spot (no chunked terminator), as a crashed upstream or proxy would.
    public static FakeFrame Disconnect { get; } = new DisconnectFrame();

    internal sealed record BytesFrame(byte[] Content) : FakeFrame;

    internal sealed record DelayFrame(TimeSpan Duration) : FakeFrame;

    internal sealed record GateFrame(Task Gate) : FakeFrame;

    internal sealed record StallFrame : FakeFrame;

    internal sealed record DisconnectFrame : FakeFrame;
}
