namespace Stratus.Protocols;

/// <summary>
/// One operation's members, read the same way wherever they came from: the wire (<see cref="OperationInput"/>,
/// failing in the service's AWS wording) or a CloudFormation template (ResourceProperties, failing as
/// CloudFormation's property validation words it in stack events). A typed input's static Read(reader) is
/// the one place a member is parsed and named; the service's Api and its CloudFormation provider both call it.
/// Names are the service's API member names; a template reader looks them up in PascalCase, as
/// CloudFormation names properties.
/// </summary>
public interface IInputReader
{
    /// <summary>True when the members come from a CloudFormation template, for the few members CloudFormation names differently.</summary>
    bool FromTemplate { get; }

    bool Has(string name);
    string? String(string name);
    string Required(string name);
    int? Int(string name);
    double? Double(string name);
    bool? Bool(string name);
    /// <summary>A timestamp: epoch seconds or ISO 8601 on the wire, an ISO 8601 string in a template (UTC unless it says otherwise).</summary>
    DateTimeOffset? Timestamp(string name);
    IReadOnlyList<string> Strings(string name);
    /// <summary>A map of strings; null or empty when absent, as the reader's source has always given it.</summary>
    Dictionary<string, string>? StringMap(string name);
    /// <summary>A map of booleans (API Gateway's required-parameter maps); null or empty when absent.</summary>
    Dictionary<string, bool>? BoolMap(string name);
    /// <summary>A required JSON document (a policy): a string on the wire; in a template an object as written, or a string.</summary>
    string RequiredDocument(string name);
    /// <summary>A nested structure, read with the same accessors and wording; null when absent.</summary>
    IInputReader? Object(string name);
    /// <summary>A list of structures; empty when absent.</summary>
    IReadOnlyList<IInputReader> Objects(string name);
    /// <summary>A map of structures keyed by data (an HTTP API stage's route settings by route key); null when absent.</summary>
    IReadOnlyDictionary<string, IInputReader>? ObjectMap(string name);

    /// <summary>The failure for a required member left out.</summary>
    Exception Missing(string name);
    /// <summary>The failure for a member of the wrong type or outside its constraint.</summary>
    Exception Invalid(string name, string problem);
}
