using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
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
    public static JsonObject Parse(string body)
    {
        var trimmed = body.TrimStart();
        if (trimmed.Length == 0) throw TemplateError.Format("Template body is empty.");
        var root = trimmed[0] == '{' ? ParseJson(body) : ParseYaml(body);
        return root as JsonObject ?? throw TemplateError.Format("Template must be a JSON or YAML object.");
    }

    private static JsonNode? ParseJson(string body)
    {
        try
        {
            return JsonNode.Parse(body, documentOptions: new JsonDocumentOptions { AllowTrailingCommas = false });
        }
        catch (JsonException e)
        {
            throw TemplateError.Format($"JSON not well-formed. (line {(e.LineNumber ?? 0) + 1}, column {(e.BytePositionInLine ?? 0) + 1})");
        }
    }

    private static JsonNode? ParseYaml(string body)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(body));
        }
        catch (YamlException e)
        {
            throw TemplateError.Format($"YAML not well-formed. (line {e.Start.Line}, column {e.Start.Column})");
        }
        if (stream.Documents.Count != 1) throw TemplateError.Format("A template must be exactly one YAML document.");
        return Convert(stream.Documents[0].RootNode);
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
