namespace Stratus.Protocols.RestJson;

/// <summary>
/// One REST operation binding: an HTTP method and a URI template such as
/// <c>/2015-03-31/functions/{FunctionName}/invocations</c>; <c>{name+}</c> takes the rest of the path.
/// A template may end in a fixed query such as <c>?mode=import</c>, for operations AWS tells apart by it.
/// </summary>
public sealed class RestRoute
{
    private readonly string[] _segments;

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
    public Dictionary<string, string>? Match(string[] path)
    {
        Dictionary<string, string>? labels = null;
        for (var i = 0; i < _segments.Length; i++)
        {
            var segment = _segments[i];
            if (segment.StartsWith('{'))
            {
                var greedy = segment.EndsWith("+}", StringComparison.Ordinal);
                var name = segment[1..^(greedy ? 2 : 1)];
                if (i >= path.Length) return null;
                labels ??= new(StringComparer.Ordinal);
                if (greedy)
                {
                    labels[name] = string.Join('/', path[i..]);
                    return labels;
                }
                labels[name] = path[i];
            }
            else if (i >= path.Length || !string.Equals(segment, path[i], StringComparison.Ordinal))
            {
                return null;
            }
        }
        return path.Length == _segments.Length ? labels ?? [] : null;
    }
}
