using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Stratus.Protocols.Json;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Stratus.Services.CloudFormation.Templates;

/// <summary>
/// Reads a template body, JSON or YAML, into one JSON tree. YAML short forms (<c>!Ref x</c>,
/// <c>!GetAtt a.b</c>, <c>!Sub ...</c>) become the long forms (<c>{"Ref": "x"}</c>, <c>{"Fn::GetAtt": ["a","b"]}</c>)
/// so everything after parsing sees a single representation.
/// </summary>
public static partial class TemplateReader
{
    public static JsonObject Parse(string body) =>
        ParseSnippet(body) as JsonObject ?? throw TemplateError.Format("Template must be a JSON or YAML object.");

    /// <summary>Any template content, JSON or YAML, with the same bounds: a snippet AWS::Include inserts may be a list or a value too.</summary>
    public static JsonNode? ParseSnippet(string body)
    {
        var trimmed = body.TrimStart();
        if (trimmed.Length == 0) throw TemplateError.Format("Template body is empty.");
        return trimmed[0] is '{' or '[' ? ParseJson(body) : ParseYaml(body);
    }

    private static JsonNode? ParseJson(string body)
    {
        try
        {
            return JsonBody.Parse(body);
        }
        catch (JsonException e) when (e.LineNumber is { } line)
        {
            throw TemplateError.Format($"JSON not well-formed. (line {line + 1}, column {(e.BytePositionInLine ?? 0) + 1})");
        }
        catch (JsonException e)
        {
            throw TemplateError.Format($"JSON not well-formed. {e.Message}");
        }
    }

    private static JsonNode? ParseYaml(string body)
    {
        var stream = new YamlStream();
        try
        {
            RefuseAliasesAndDeepNesting(body);
            stream.Load(new StringReader(body));
        }
        catch (YamlException e)
        {
            throw TemplateError.Format($"YAML not well-formed. (line {e.Start.Line}, column {e.Start.Column})");
        }
        if (stream.Documents.Count != 1) throw TemplateError.Format("A template must be exactly one YAML document.");
        return Convert(stream.Documents[0].RootNode);
    }

    /// <summary>
    /// Walks the YAML's events before any tree is built. CloudFormation refuses aliases outright, which
    /// also rules out "billion laughs" (a few hundred bytes of nested aliases expanding to gigabytes);
    /// nesting is held to what the JSON reader allows, since building the tree recurses once per level.
    /// </summary>
    private static void RefuseAliasesAndDeepNesting(string body)
    {
        var parser = new Parser(new StringReader(body));
        var depth = 0;
        while (parser.MoveNext())
        {
            switch (parser.Current)
            {
                case YamlDotNet.Core.Events.AnchorAlias:
                    throw TemplateError.Evaluation("YAML aliases are not allowed in CloudFormation templates");
                case YamlDotNet.Core.Events.NodeEvent and (YamlDotNet.Core.Events.MappingStart or YamlDotNet.Core.Events.SequenceStart) when ++depth > JsonBody.MaxDepth:
                    throw TemplateError.Format($"YAML not well-formed. The template nests more than {JsonBody.MaxDepth} levels deep (line {parser.Current.Start.Line}, column {parser.Current.Start.Column}).");
                case YamlDotNet.Core.Events.MappingEnd or YamlDotNet.Core.Events.SequenceEnd:
                    depth--;
                    break;
            }
        }
    }

    private static JsonNode? Convert(YamlNode node)
    {
        var tag = node.Tag.IsEmpty ? null : node.Tag.Value;
        if (tag is not null && tag.StartsWith('!') && !tag.StartsWith("!!", StringComparison.Ordinal))
            return ShortForm(tag[1..], node);
        return node switch
        {
            YamlMappingNode mapping => Mapping(mapping),
            YamlSequenceNode sequence => new JsonArray(sequence.Children.Select(Convert).ToArray()),
            YamlScalarNode scalar => Scalar(scalar, tag),
            _ => throw TemplateError.Format($"YAML aliases are not supported (line {node.Start.Line}, column {node.Start.Column})."),
        };
    }

    private static JsonObject Mapping(YamlMappingNode mapping)
    {
        var result = new JsonObject();
        foreach (var (key, value) in mapping.Children)
        {
            var name = key is YamlScalarNode s ? s.Value ?? "" : throw TemplateError.Format($"YAML mapping keys must be scalars (line {key.Start.Line}, column {key.Start.Column}).");
            if (result.ContainsKey(name))
                throw TemplateError.Format($"YAML not well-formed. Duplicate key '{name}' (line {key.Start.Line}, column {key.Start.Column})");
            result[name] = Convert(value);
        }
        return result;
    }

    private static JsonNode ShortForm(string name, YamlNode node)
    {
        if (name == "GetAtt" && node is YamlScalarNode dotted)
        {
            var text = dotted.Value ?? "";
            var dot = text.IndexOf('.');
            if (dot <= 0) throw TemplateError.Format($"Template error: every Fn::GetAtt object requires two non-empty parameters (line {node.Start.Line}, column {node.Start.Column}).");
            return new JsonObject { ["Fn::GetAtt"] = new JsonArray(text[..dot], text[(dot + 1)..]) };
        }
        JsonNode? argument = node switch
        {
            YamlScalarNode scalar => JsonValue.Create(scalar.Value ?? ""),
            YamlMappingNode mapping => Mapping(mapping),
            YamlSequenceNode sequence => new JsonArray(sequence.Children.Select(Convert).ToArray()),
            _ => null,
        };
        var function = name is "Ref" or "Condition" ? name : "Fn::" + name;
        return new JsonObject { [function] = argument };
    }

    [GeneratedRegex(@"^[-+]?(0|[1-9][0-9]*)$")]
    private static partial Regex IntegerPattern();

    /// <summary>YAML 1.1 core scalars as CloudFormation reads them: booleans, integers and null unless quoted (decimals stay text, so 1.10 keeps its digits).</summary>
    private static JsonNode? Scalar(YamlScalarNode scalar, string? tag)
    {
        var text = scalar.Value ?? "";
        if (scalar.Style is not ScalarStyle.Plain || tag == "tag:yaml.org,2002:str") return JsonValue.Create(text);
        switch (text)
        {
            case "" or "~" or "null" or "Null" or "NULL": return null;
            case "true" or "True" or "TRUE": return JsonValue.Create(true);
            case "false" or "False" or "FALSE": return JsonValue.Create(false);
        }
        if (IntegerPattern().IsMatch(text) && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
            return JsonValue.Create(integer);
        return JsonValue.Create(text);
    }
}
