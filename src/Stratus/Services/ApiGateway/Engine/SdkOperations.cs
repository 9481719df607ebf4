using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;

namespace Stratus.Services.ApiGateway.Engine;

/// <summary>A query string or header parameter a method request declares, and whether it is required.</summary>
public sealed record SdkParameter(string Name, bool Required);

/// <summary>One method of a deployed stage as a generated client calls it: its function name, method, path and parameters.</summary>
public sealed record SdkOperation(string Name, string Method, string Path, IReadOnlyList<string> PathParameters,
    IReadOnlyList<SdkParameter> QueryParameters, IReadOnlyList<SdkParameter> HeaderParameters, string AuthorizationType, bool ApiKeyRequired);

/// <summary>The methods of a deployed stage that every generated client SDK has a function for.</summary>
public static partial class SdkOperations
{
    [GeneratedRegex(@"^\{([^{}+]+)(\+?)\}$")]
    private static partial Regex PathParameter();

    private const string RequestParameterPrefix = "method.request.";

    /// <summary>The stage's methods, ordered by path and method, each with the parameters its path and its method request declare.</summary>
    public static List<SdkOperation> Of(DeploymentDocument deployment)
    {
        var operations = new List<SdkOperation>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var resource in deployment.Resources.Values.OrderBy(r => r.Path, StringComparer.Ordinal))
        foreach (var method in (resource.ResourceMethods ?? []).Values.OrderBy(m => m.HttpMethod, StringComparer.Ordinal))
        {
            var pathParameters = resource.Path.Split('/', StringSplitOptions.RemoveEmptyEntries)
                .Select(segment => PathParameter().Match(segment)).Where(m => m.Success).Select(m => m.Groups[1].Value).ToList();
            var declared = (method.RequestParameters ?? []).Where(p => p.Key.StartsWith(RequestParameterPrefix, StringComparison.Ordinal))
                .Select(p => (Location: p.Key[RequestParameterPrefix.Length..].Split('.', 2), Required: p.Value))
                .Where(p => p.Location.Length == 2).ToList();
            List<SdkParameter> Declared(string location) => [.. declared.Where(p => p.Location[0] == location)
                .OrderBy(p => p.Location[1], StringComparer.Ordinal).Select(p => new SdkParameter(p.Location[1], p.Required))];
            operations.Add(new SdkOperation(UniqueName(names, FunctionName(resource.Path, method.HttpMethod)), method.HttpMethod, resource.Path,
                pathParameters, Declared("querystring"), Declared("header"), method.AuthorizationType, method.ApiKeyRequired));
        }
        return operations;
    }

    /// <summary>API Gateway's function names: "root" for /, else each segment's letters and digits in camel case; then the method, capitalized.</summary>
    public static string FunctionName(string path, string httpMethod)
    {
        var words = path.Split('/', StringSplitOptions.RemoveEmptyEntries)
            .SelectMany(segment => NonWord().Split(segment)).Where(w => w.Length > 0).ToList();
        var name = new StringBuilder(words.Count == 0 ? "root" : "");
        foreach (var word in words)
            name.Append(name.Length == 0 ? char.ToLowerInvariant(word[0]) : char.ToUpperInvariant(word[0])).Append(word.AsSpan(1));
        if (!char.IsAsciiLetter(name[0])) name.Insert(0, "op");
        var method = httpMethod.ToLowerInvariant();
        return name.Append(char.ToUpperInvariant(method[0])).Append(method.AsSpan(1)).ToString();
    }

    [GeneratedRegex("[^A-Za-z0-9]+")]
    private static partial Regex NonWord();

    /// <summary>Two paths that differ only in punctuation would share a name: the later one is numbered.</summary>
    private static string UniqueName(HashSet<string> names, string name)
    {
        var unique = name;
        for (var n = 2; !names.Add(unique); n++) unique = name + n;
        return unique;
    }

    /// <summary>The README's list of functions, the same for every language's SDK.</summary>
    public static void Describe(StringBuilder text, IEnumerable<SdkOperation> operations)
    {
        foreach (var operation in operations)
        {
            var parameters = operation.PathParameters.Concat(operation.QueryParameters.Concat(operation.HeaderParameters).Select(p => p.Name));
            text.AppendLine($"- `{operation.Name}`: {operation.Method} {operation.Path} (authorization {operation.AuthorizationType}"
                + $"{(operation.ApiKeyRequired ? ", API key" : "")}); parameters: {string.Join(", ", parameters.DefaultIfEmpty("none"))}");
        }
    }

    /// <summary>A generated SDK's files as the zip GetSdk answers.</summary>
    public static byte[] Zip(IEnumerable<(string Path, string Text)> files)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
            foreach (var (path, text) in files)
            {
                using var entry = zip.CreateEntry(path, CompressionLevel.Optimal).Open();
                entry.Write(Encoding.UTF8.GetBytes(text));
            }
        return buffer.ToArray();
    }
}
