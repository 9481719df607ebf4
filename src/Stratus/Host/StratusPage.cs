using Microsoft.AspNetCore.Http;

namespace Stratus.Host;

/// <summary>
/// A page for people (not an AWS API) served on GET under /_stratus/: the console, a cost estimate.
/// <see cref="IncludesSubpaths"/> pages also answer every path below theirs (/_stratus/cost/{id}). With
/// <c>--auth verify</c> a page needs the console's token (<see cref="ConsoleAccess"/>) unless it
/// <see cref="AuthorizesItself"/> (a presigned download link).
/// </summary>
public sealed record StratusPage(string Path, RequestDelegate Handler, bool IncludesSubpaths = true)
{
    public bool AuthorizesItself { get; init; }

    public bool Matches(PathString path) =>
        IncludesSubpaths ? path.StartsWithSegments(Path) : string.Equals(path.Value?.TrimEnd('/'), Path, StringComparison.Ordinal);
}
