namespace Arena.Modules.Votes.Domain.Ratings;

/// Aggregated counted votes between models <see cref="I"/> (side a) and <see cref="J"/> (side b) whose normalised
/// output-length difference fell in one bucket: the unit the fit and the bootstrap work on, so their cost follows the
/// number of distinct cells, not the number of votes.
internal readonly record struct PairCell(int I, int J, double LengthDifference, long WinsA, long WinsB, long Ties);

/// A cell as the likelihood sees it: ties count half a win for each side.
internal readonly record struct WeightedCell(int I, int J, double X, double WinsI, double WinsJ);
