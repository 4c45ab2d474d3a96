using Mediator;

namespace Arena.Modules.Messaging.Contracts;

/// <summary>
/// Per model, how fast its finished replies in two-model sessions (compare and battle) were, from <see cref="Since"/> on.
/// </summary>
public sealed record ListModelSpeeds(DateTimeOffset? Since) : IQuery<IReadOnlyList<ModelSpeed>>;

/// <summary>One model's speed figures.</summary>
/// <param name="Model">The model id.</param>
/// <param name="Replies">Replies that ended (any status but streaming).</param>
/// <param name="TtftMedianMs">Median time to first chunk of replies that produced one.</param>
/// <param name="TtftP90Ms">90th percentile of the same.</param>
/// <param name="OutputTokensPerSecondMedian">Median of completion tokens over the time after the first chunk, for successful replies.</param>
/// <param name="ErrorRate">Share of ended replies whose status was <c>error</c> or <c>interrupted</c>.</param>
public sealed record ModelSpeed(string Model, long Replies, double? TtftMedianMs, double? TtftP90Ms, double? OutputTokensPerSecondMedian, double ErrorRate);
