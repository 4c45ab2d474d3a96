using System.Collections.Concurrent;
using System.Text;
using Arena.Modules.Messaging.Domain;
using Arena.Modules.Messaging.Features.StreamReply;
using Arena.Modules.Messaging.Streaming;
using Arena.Tests.Support;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Arena.Tests.Modules.Messaging;

/// The follower's keep-alive, on a clock the test moves. The streaming follower's continuations run on a context the
/// test drains, so "nothing was sent yet" is read once the follower is waiting again, not at a moment that happened to
/// come early: those tests hold the schedule both pipelines share. The legacy follower blocks a thread of its own, which
/// the test cannot see waiting, so its tests hold only that it beats on the clock it is given.
public sealed class TurnFollowerTests : IDisposable
{
    // An hour: no wall clock reaches it while a test runs, so whatever is sent is due to the fake one.
    private static readonly TimeSpan KeepAlive = TimeSpan.FromHours(1);

    private const string KeepAliveComment = ": keep-alive\n\n";

    private readonly FakeTimeProvider clock = new(DateTimeOffset.UtcNow);
    private readonly OwnTelemetry telemetry = new();
    private readonly TurnFollower follower;

    public TurnFollowerTests()
    {
        follower = new TurnFollower(clock, Options.Create(new MessagingOptions { KeepAliveInterval = KeepAlive }));
    }

    public void Dispose() => telemetry.Dispose();

    [Fact]
    public async Task FollowAsync_SseIdle_SendsOneKeepAliveWhenTheIntervalIsOverAndNotBefore()
    {
        using var turn = NewTurn(StreamProtocol.Sse);
        var (body, pump, following) = FollowOnPump(turn, StreamProtocol.Sse);
        Assert.StartsWith("retry: 1000\n\nid: 1\nevent: start\n", body.Text, StringComparison.Ordinal);

        // The beat at half the interval wakes the follower, which finds the connection quiet for too short a time.
        clock.Advance(KeepAlive - TimeSpan.FromTicks(1));
        pump.RunPending();
        Assert.DoesNotContain(KeepAliveComment, body.Text, StringComparison.Ordinal);

        clock.Advance(TimeSpan.FromTicks(1));
        pump.RunPending();
        Assert.EndsWith(KeepAliveComment, body.Text, StringComparison.Ordinal);

        // The interval counts again from that keep-alive.
        clock.Advance(KeepAlive - TimeSpan.FromTicks(1));
        pump.RunPending();
        Assert.Equal(1, Occurrences(body.Text, KeepAliveComment));

        End(turn);
        pump.RunPending();
        Assert.True(following.IsCompletedSuccessfully);
        Assert.True(await following);
        Assert.Equal(1, Occurrences(body.Text, KeepAliveComment));
        Assert.Matches("\nevent: done\ndata: \\{\\}\n\n$", body.Text);
    }

    [Fact]
    public void FollowAsync_SseEventsCloserThanTheInterval_SendsNoKeepAlive()
    {
        using var turn = NewTurn(StreamProtocol.Sse);
        var (body, pump, following) = FollowOnPump(turn, StreamProtocol.Sse);

        // Each delta comes just before the connection would count as idle, so none is ever due.
        for (var i = 0; i < 4; i++)
        {
            clock.Advance(KeepAlive - TimeSpan.FromTicks(1));
            pump.RunPending();
            turn.Append(new StreamDelta(Participant.A, $"{i} "));
            pump.RunPending();
        }

        End(turn);
        pump.RunPending();
        Assert.True(following.IsCompletedSuccessfully);
        Assert.Equal(4, Occurrences(body.Text, "event: delta\n"));
        Assert.Equal(0, Occurrences(body.Text, KeepAliveComment));
    }

    [Fact]
    public void FollowAsync_DataProtocolIdleForManyIntervals_SendsNoKeepAlive()
    {
        using var turn = NewTurn(StreamProtocol.Data);
        var (body, pump, following) = FollowOnPump(turn, StreamProtocol.Data);

        for (var i = 0; i < 10; i++)
        {
            clock.Advance(KeepAlive / 2);
            pump.RunPending();
        }

        End(turn);
        pump.RunPending();
        Assert.True(following.IsCompletedSuccessfully);
        // The old service's line format has no comment syntax: its clients would choke on one.
        Assert.All(body.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries), line => Assert.Matches("^a[03d]:", line));
    }

    [Fact]
    public async Task Follow_LegacySseIdle_SendsAKeepAliveOnTheGivenClock()
    {
        using var turn = NewTurn(StreamProtocol.Sse);
        var (context, body) = NewResponse();
        var following = Task.Factory.StartNew(() => follower.Follow(context, turn, StreamProtocol.Sse, CancellationToken.None, stopsOnLeave: false), TaskCreationOptions.LongRunning);

        // Each probe moves the clock by a beat: the follower may still be writing the start when the first one comes.
        var sent = await Eventually.UntilAsync(
            () =>
            {
                clock.Advance(KeepAlive / 2);
                return Task.FromResult(body.Text);
            },
            text => text.Contains(KeepAliveComment, StringComparison.Ordinal),
            text => $"no keep-alive after {clock.GetUtcNow() - clock.Start} on the clock: {text}");

        End(turn);
        Assert.True(await following);
        Assert.StartsWith("retry: 1000\n\nid: 1\nevent: start\n", sent, StringComparison.Ordinal);
        Assert.Matches("\nevent: done\ndata: \\{\\}\n\n$", body.Text);
    }

    [Fact]
    public async Task Follow_LegacySseEndingBeforeTheInterval_SendsNoKeepAlive()
    {
        using var turn = NewTurn(StreamProtocol.Sse);
        var (context, body) = NewResponse();
        var following = Task.Factory.StartNew(() => follower.Follow(context, turn, StreamProtocol.Sse, CancellationToken.None, stopsOnLeave: false), TaskCreationOptions.LongRunning);
        await body.WaitForAsync("event: start\n");

        clock.Advance(KeepAlive - TimeSpan.FromTicks(1));
        End(turn);

        Assert.True(await following);
        Assert.Equal(0, Occurrences(body.Text, KeepAliveComment));
        Assert.Matches("\nevent: done\ndata: \\{\\}\n\n$", body.Text);
    }

    private static void End(LiveTurn turn)
    {
        turn.Append(new StreamFinished(Participant.A, "stop", null, 5, 50, Stored: true));
        turn.Close();
        turn.MarkEnded();
    }

    /// The streaming follower, started on a pump and run until it first waits.
    private (RecordedBody Body, Pump Pump, Task<bool> Following) FollowOnPump(LiveTurn turn, StreamProtocol protocol)
    {
        var (context, body) = NewResponse();
        var pump = new Pump();
        var following = pump.Start(() => follower.FollowAsync(context, turn, protocol, 0, CancellationToken.None));
        return (body, pump, following);
    }

    private static int Occurrences(string text, string part) => text.Split(part).Length - 1;

    private static (DefaultHttpContext Context, RecordedBody Body) NewResponse()
    {
        var body = new RecordedBody();
        var context = new DefaultHttpContext();
        context.Response.Body = body;
        return (context, body);
    }

    /// A turn whose client is the only follower, started with its participant's first event.
    private LiveTurn NewTurn(StreamProtocol protocol)
    {
        var plan = new ParticipantPlan(Participant.A, "mock", Guid.CreateVersion7(), []);
        var stream = new OpenedStream(protocol, [plan], telemetry.Trace(), Guid.CreateVersion7(), Resumable: false);
        var turn = new LiveTurn(stream, 100, TimeSpan.FromMinutes(1), clock);
        turn.Append(new StreamStarted(Participant.A, plan.MessageId, "mock"));
        return turn;
    }

    /// Runs what is posted to it only when the test says so, on the test's thread: once <see cref="RunPending"/> returns,
    /// the follower has done everything a wake-up made it do and waits again.
    private sealed class Pump : SynchronizationContext
    {
        private readonly ConcurrentQueue<(SendOrPostCallback Callback, object? State)> posted = new();

        public T Start<T>(Func<T> start)
        {
            var previous = Current;
            SetSynchronizationContext(this);
            try
            {
                var started = start();
                RunPending();
                return started;
            }
            finally
            {
                SetSynchronizationContext(previous);
            }
        }

        public void RunPending()
        {
            var previous = Current;
            SetSynchronizationContext(this);
            try
            {
                while (posted.TryDequeue(out var work))
                {
                    work.Callback(work.State);
                }
            }
            finally
            {
                SetSynchronizationContext(previous);
            }
        }

        public override void Post(SendOrPostCallback d, object? state) => posted.Enqueue((d, state));

        public override void Send(SendOrPostCallback d, object? state) => throw new NotSupportedException();
    }

    /// A response body that completes every write at once (so the follower never leaves the pump) and can be read while
    /// another thread writes it.
    private sealed class RecordedBody : Stream
    {
        private readonly Lock gate = new();
        private readonly StringBuilder text = new();
        private TaskCompletionSource written = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Text
        {
            get
            {
                lock (gate)
                {
                    return text.ToString();
                }
            }
        }

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        /// Until the body holds <paramref name="part"/>.
        public async Task WaitForAsync(string part)
        {
            using var patience = new CancellationTokenSource(Eventually.DefaultTimeout);
            while (true)
            {
                Task next;
                lock (gate)
                {
                    if (text.ToString().Contains(part, StringComparison.Ordinal))
                    {
                        return;
                    }

                    next = written.Task;
                }

                await next.WaitAsync(patience.Token);
            }
        }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            TaskCompletionSource done;
            lock (gate)
            {
                text.Append(Encoding.UTF8.GetString(buffer));
                done = written;
                written = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            done.TrySetResult();
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            Write(buffer.AsSpan(offset, count));
            return Task.CompletedTask;
        }

        public override void Flush()
        {
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
