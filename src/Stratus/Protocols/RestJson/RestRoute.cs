namespace Stratus.Protocols.RestJson;

/// <summary>
/// One REST operation binding: an HTTP method and a URI template such as
/// <c>/2015-03-31/functions/{FunctionName}/invocations</c>; <c>{name+}</c> takes the rest of the path.
/// A template may end in a fixed query such as <c>?mode=import</c>, for operations AWS tells apart by it.
/// </summary>
public sealed class RestRoute
{
    private readonly string[] _segments;
    /// <summary>Each segment as matched: a literal, or a label's name (greedy when it takes the rest of the path).</summary>
    private readonly Part[] _parts;

    private readonly record struct Part(string? Literal, string? Label, bool Greedy);

    public RestRoute(string method, string template, string operation, bool rawBody = false, int successStatus = 200)
    {
        Method = method;
        Template = template;
        Operation = operation;
        RawBody = rawBody;
        SuccessStatus = successStatus;
        var query = template.IndexOf('?');
        if (query >= 0)
        {
            var pair = template[(query + 1)..].Split('=', 2);
            RequiredQuery = (pair[0], pair.Length > 1 ? pair[1] : "");
            template = template[..query];
        }
        _segments = template.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        _parts = _segments.Select(segment => !segment.StartsWith('{') ? new Part(segment, null, false)
            : segment.EndsWith("+}", StringComparison.Ordinal) ? new Part(null, segment[1..^2], true)
            : new Part(null, segment[1..^1], false)).ToArray();
    }

    /// <summary>The query parameter and value the request must carry, if the template names one.</summary>
    public (string Name, string Value)? RequiredQuery { get; }

    public string Method { get; }
    public string Template { get; }
    public string Operation { get; }
    /// <summary>The body is the operation's opaque payload, not a JSON object of members.</summary>
    public bool RawBody { get; }
    /// <summary>The status AWS answers on success when the handler does not choose one (201 for creates).</summary>
    public int SuccessStatus { get; }

    /// <summary>How specific the template is, so literal segments win over labels when two match.</summary>
    public int Specificity => _segments.Count(s => !s.StartsWith('{')) * 100 + _segments.Length + (RequiredQuery is null ? 0 : 50);

    public bool MatchesQuery(Microsoft.AspNetCore.Http.IQueryCollection query) =>
        RequiredQuery is not { } required || query.TryGetValue(required.Name, out var values) && values.Contains(required.Value);

    public string LiteralPrefix => "/" + string.Join('/', _segments.TakeWhile(s => !s.StartsWith('{')));

    /// <summary>Matches decoded path segments, returning the label values, or null.</summary>
    /// <remarks>
    /// A request is tried against every route of its service (API Gateway has over a hundred, most beginning
    /// <c>/restapis/{restapi_id}</c>), so the test allocates nothing; only the route that matches collects its labels.
    /// </remarks>
    public Dictionary<string, string>? Match(string[] path)
    {
        for (var i = 0; i < _parts.Length; i++)
        {
            var part = _parts[i];
            if (i >= path.Length) return null;
            if (part.Greedy) return Labels(path);
            if (part.Literal is { } literal && !string.Equals(literal, path[i], StringComparison.Ordinal)) return null;
        }
        return path.Length == _parts.Length ? Labels(path) : null;
    }

    private Dictionary<string, string> Labels(string[] path)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < _parts.Length; i++)
        {
            if (_parts[i].Label is not { } name) continue;
            labels[name] = _parts[i].Greedy ? string.Join('/', path[i..]) : path[i];
        }
        return labels;
    }
}
