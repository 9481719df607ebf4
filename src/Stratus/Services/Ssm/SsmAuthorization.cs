using Stratus.Protocols;
using Stratus.Services.Iam.Engine;

namespace Stratus.Services.Ssm;

/// <summary>
/// What `--auth enforce` authorizes SSM's parameter operations against: arn:aws:ssm:REGION:ACCOUNT:parameter/NAME,
/// the name without its leading slash ("/app/db" is parameter/app/db); GetParametersByPath the path's ARN.
/// A parameter's tags are its aws:ResourceTag (and ssm:resourceTag) keys; PutParameter carries ssm:Overwrite,
/// GetParametersByPath ssm:Recursive, as the Service Authorization Reference lists them.
/// </summary>
public static class SsmAuthorization
{
    public static AuthorizationTable Table(SsmService ssm) => new("ssm", unlisted: i =>
        i.String("Name") is { } name ? [Parameter(i, name)]
        : i.String("Path") is { } path ? [Parameter(i, path)]
        : i.String("ResourceId") is { } id && i.String("ResourceType") == "Parameter" ? [Parameter(i, id)]
        : AuthorizationTable.Strings(i, "Names").Select(n => Parameter(i, n)),
        context: AddConditionKeys, resourceTags: arn => TagsOf(ssm, arn), serviceResourceTagKey: "ssm:resourceTag");

    public static string Parameter(OperationInput i, string name) =>
        AuthorizationTable.ArnOrBuild(name, n => AuthorizationTable.Arn(i, "ssm", $"parameter/{n.TrimStart('/')}"));

    private static void AddConditionKeys(OperationInput input, RequestContext request)
    {
        if (request.Action == "ssm:PutParameter") request.With("ssm:Overwrite", input.Bool("Overwrite") == true ? "true" : "false");
        if (request.Action == "ssm:GetParametersByPath" && input.Bool("Recursive") is { } recursive) request.With("ssm:Recursive", recursive ? "true" : "false");
    }

    /// <summary>
    /// The tags of the parameter an ARN names. The ARN drops a hierarchical name's leading slash, so
    /// parameter/app/db is "/app/db" and parameter/plain is "plain" (or "/plain", which SSM also allows).
    /// </summary>
    private static IReadOnlyDictionary<string, string>? TagsOf(SsmService ssm, string arn)
    {
        if (arn.Split(':', 6) is not ["arn", _, "ssm", var region, var account, var resource] || !resource.StartsWith("parameter/", StringComparison.Ordinal)) return null;
        var path = resource["parameter/".Length..];
        var scope = Scope.Of(account, region);
        foreach (var name in path.Contains('/') ? ["/" + path] : new[] { path, "/" + path })
        {
            try
            {
                return ssm.Tags(scope, name);
            }
            catch (AwsException)
            {
                // Not a parameter under this spelling: the next one, or a parameter that does not exist yet.
            }
        }
        return null;
    }
}
