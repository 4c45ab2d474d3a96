using System.Diagnostics;
using Arena.Modules.Messaging.Domain;
using Arena.Modules.Sessions.Contracts;
using Microsoft.AspNetCore.Http;

namespace Arena.Modules.Messaging.Streaming;

/// The telemetry of one stream request (see <see cref="StreamTelemetry"/> for names): the gate tells it what it learns and
/// how the request was refused or opened, each participant's transcript reports its first chunk and its end, and the
/// endpoint completes it. Disposing it ends the span; a request that neither was refused nor completed counts as an error
/// (or cancelled, when the client went away).
internal sealed class StreamTrace : IDisposable
{
    private readonly StreamTelemetry telemetry;
    private static readonly string[] SpanNames = [.. Enum.GetValues<Participant>().Select(p => "stream reply " + WireNames.Of(p))];

    private readonly string pipeline;
    private readonly CancellationToken requestAborted;
    private readonly Activity? activity;
    private string? mode;
    private string? protocol;
    private bool open;
    private bool counted;

    public StreamTrace(StreamTelemetry telemetry, string pipeline, CancellationToken requestAborted)
    {
        this.telemetry = telemetry;
        this.pipeline = pipeline;
        this.requestAborted = requestAborted;
        activity = telemetry.Source.StartActivity("stream");
        activity?.SetTag(StreamTelemetry.PipelineTag, pipeline);
    }

    public void Protocol(StreamProtocol value)
    {
        protocol = value == StreamProtocol.Sse ? "sse" : "data";
        activity?.SetTag(StreamTelemetry.ProtocolTag, protocol);
    }

    public void Session(Guid sessionId, SessionKind kind)
    {
        mode = kind == SessionKind.Compare ? "compare" : "direct";
        if (activity is not null)
        {
            activity.DisplayName = kind == SessionKind.Compare ? "stream compare" : "stream direct";
            activity.SetTag(StreamTelemetry.ModeTag, mode);
            activity.SetTag(StreamTelemetry.SessionTag, sessionId.ToString());
        }
    }

    /// The request was answered with a problem instead of a stream.
    public void Refused(IResult problem) => Count((problem as IStatusCodeHttpResult)?.StatusCode switch
    {
        StatusCodes.Status400BadRequest => "bad_request",
        StatusCodes.Status404NotFound => "not_found",
        StatusCodes.Status409Conflict => "conflict",
        StatusCodes.Status413PayloadTooLarge => "too_large",
        StatusCodes.Status422UnprocessableEntity => "bad_request",
        StatusCodes.Status503ServiceUnavailable => "busy",
        _ => "error",
    });

    /// A retried start (its <c>Idempotency-Key</c> already started the session's turn) answered by that turn.
    public void Repeated() => Count("repeated");

    public void Opened()
    {
        open = true;
        telemetry.Active.Add(1, new KeyValuePair<string, object?>(StreamTelemetry.PipelineTag, pipeline));
    }

    /// The stream ran to its end, or stopped because the client went away.
    public void Completed() => Count(requestAborted.IsCancellationRequested ? "cancelled" : "ok");

    public Activity? StartReply(ParticipantPlan plan)
    {
        var reply = telemetry.Source.StartActivity(SpanNames[(int)plan.Participant]);
        reply?.SetTag(StreamTelemetry.ParticipantTag, WireNames.Of(plan.Participant))
            .SetTag(StreamTelemetry.ModelTag, plan.Model)
            .SetTag(StreamTelemetry.MessageTag, plan.MessageId.ToString());
        return reply;
    }

    public void FirstChunk(ParticipantPlan plan, Activity? reply, TimeSpan elapsed)
    {
        telemetry.TimeToFirstChunk.Record(elapsed.TotalSeconds, new TagList
        {
            { StreamTelemetry.PipelineTag, pipeline },
            { StreamTelemetry.ModeTag, mode },
            { StreamTelemetry.ModelTag, plan.Model },
            { StreamTelemetry.ParticipantTag, WireNames.Of(plan.Participant) },
        });
        reply?.AddEvent(new ActivityEvent(StreamTelemetry.FirstChunkEvent));
    }

    public void EndReply(Activity? reply, MessageStatus status, string finishReason, string? errorCode, TimeSpan elapsed) =>
        EndReply(null, reply, status, finishReason, errorCode, elapsed, null, 0, null);

    /// The reply's end, with what it delivered: the chunks the transcript counted and the output tokens the provider
    /// reported. Everything is recorded here, once per reply, so that a chunk costs no telemetry.
    public void EndReply(
        ParticipantPlan? plan,
        Activity? reply,
        MessageStatus status,
        string finishReason,
        string? errorCode,
        TimeSpan elapsed,
        TimeSpan? firstChunk,
        long chunks,
        long? outputTokens)
    {
        var statusName = WireNames.Of(status);
        var tags = new TagList
        {
            { StreamTelemetry.PipelineTag, pipeline },
            { StreamTelemetry.ModeTag, mode },
        };
        if (plan is not null)
        {
            tags.Add(StreamTelemetry.ModelTag, plan.Model);
            tags.Add(StreamTelemetry.ParticipantTag, WireNames.Of(plan.Participant));
        }

        if (chunks > 0)
        {
            telemetry.Chunks.Add(chunks, tags);
        }

        if (outputTokens is > 0)
        {
            telemetry.OutputTokens.Add(outputTokens.Value, tags);
            if (firstChunk is { } first && elapsed - first is { TotalSeconds: > 0 } generating)
            {
                telemetry.TokenRate.Record(outputTokens.Value / generating.TotalSeconds, tags);
            }
        }

        tags.Add(StreamTelemetry.StatusTag, statusName);
        telemetry.Duration.Record(elapsed.TotalSeconds, tags);
        if (errorCode is not null)
        {
            tags.Add(StreamTelemetry.ErrorTypeTag, errorCode);
        }

        telemetry.Replies.Add(1, tags);
        if (reply is null)
        {
            return;
        }

        reply.SetTag(StreamTelemetry.StatusTag, statusName).SetTag(StreamTelemetry.FinishReasonTag, finishReason);
        if (errorCode is not null)
        {
            reply.SetTag(StreamTelemetry.ErrorTypeTag, errorCode).SetStatus(ActivityStatusCode.Error, errorCode);
        }

        reply.Stop();
    }

    public void Dispose()
    {
        if (!counted)
        {
            Count(requestAborted.IsCancellationRequested ? "cancelled" : "error");
        }

        if (open)
        {
            open = false;
            telemetry.Active.Add(-1, new KeyValuePair<string, object?>(StreamTelemetry.PipelineTag, pipeline));
        }

        activity?.Dispose();
    }

    private void Count(string outcome)
    {
        if (counted)
        {
            return;
        }

        counted = true;
        var tags = new TagList { { StreamTelemetry.PipelineTag, pipeline }, { StreamTelemetry.OutcomeTag, outcome } };
        if (mode is not null)
        {
            tags.Add(StreamTelemetry.ModeTag, mode);
        }

        if (protocol is not null)
        {
            tags.Add(StreamTelemetry.ProtocolTag, protocol);
        }

        telemetry.Requests.Add(1, tags);
        if (activity is not null)
        {
            activity.SetTag(StreamTelemetry.OutcomeTag, outcome);
            if (outcome == "error")
            {
                activity.SetStatus(ActivityStatusCode.Error);
            }
        }
    }
}
