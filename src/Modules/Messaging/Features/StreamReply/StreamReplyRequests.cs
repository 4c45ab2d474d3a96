using Arena.Modules.Messaging.Streaming;
using Mediator;

namespace Arena.Modules.Messaging.Features.StreamReply;

/// One model answers the new turn as participant <c>a</c>.
internal sealed record StreamDirectReply(OpenedStream Stream) : IStreamQuery<StreamEvent>;

/// Two models answer the new turn at once; their events come out in arrival order.
internal sealed record StreamCompareReply(OpenedStream Stream) : IStreamQuery<StreamEvent>;

internal sealed class StreamDirectReplyHandler(ArrivalMerge merge) : IStreamQueryHandler<StreamDirectReply, StreamEvent>
{
    public IAsyncEnumerable<StreamEvent> Handle(StreamDirectReply query, CancellationToken cancellationToken) =>
        merge.RunAsync(query.Stream.Trace, query.Stream.Participants.Take(1).ToList(), cancellationToken);
}

internal sealed class StreamCompareReplyHandler(ArrivalMerge merge) : IStreamQueryHandler<StreamCompareReply, StreamEvent>
{
    public IAsyncEnumerable<StreamEvent> Handle(StreamCompareReply query, CancellationToken cancellationToken) =>
        merge.RunAsync(query.Stream.Trace, query.Stream.Participants, cancellationToken);
}
