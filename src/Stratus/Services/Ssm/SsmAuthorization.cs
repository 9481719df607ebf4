using Stratus.Protocols;
using Stratus.Services.Iam.Engine;

namespace Stratus.Services.Ssm;

/// <summary>
/// What `--auth enforce` authorizes SSM's parameter operations against: arn:aws:ssm:REGION:ACCOUNT:parameter/NAME,
/// the name without its leading slash ("/app/db" is parameter/app/db); GetParametersByPath the path's ARN.
/// </summary>
public static class SsmAuthorization
{
    public static AuthorizationTable Table() => new("ssm", unlisted: i =>
        i.String("Name") is { } name ? [Parameter(i, name)]
        : i.String("Path") is { } path ? [Parameter(i, path)]
        : i.String("ResourceId") is { } id && i.String("ResourceType") == "Parameter" ? [Parameter(i, id)]
        : AuthorizationTable.Strings(i, "Names").Select(n => Parameter(i, n)));

    public static string Parameter(OperationInput i, string name) =>
        AuthorizationTable.ArnOrBuild(name, n => AuthorizationTable.Arn(i, "ssm", $"parameter/{n.TrimStart('/')}"));
}
