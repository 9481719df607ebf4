using Stratus.Protocols;
using Stratus.Services.Iam.Engine;

namespace Stratus.Services.CloudFormation;

/// <summary>
/// What `--auth enforce` authorizes CloudFormation's operations against (Service Authorization
/// Reference): a stack's ARN, arn:aws:cloudformation:REGION:ACCOUNT:stack/NAME/ID, found by name or id;
/// a stack that does not exist yet is stack/NAME/*, as AWS authorizes CreateStack.
/// </summary>
public static class CloudFormationAuthorization
{
    /// <summary>A stack operation's RoleARN (the service role CloudFormation acts as) is passed to CloudFormation: iam:PassRole on it.</summary>
    private static readonly Dictionary<string, PassedRole> PassedRoles = new[]
        { "CreateStack", "UpdateStack", "DeleteStack", "CreateChangeSet", "ContinueUpdateRollback", "RollbackStack" }
        .ToDictionary(operation => operation, _ => new PassedRole("RoleARN", "cloudformation.amazonaws.com"), StringComparer.Ordinal);

    public static AuthorizationTable Table(CloudFormationService cloudFormation) => new("cloudformation", unlisted: i =>
        i.String("StackName") is { } name ? [StackArn(cloudFormation, i, name)] : [], passedRoles: PassedRoles);

    private static string StackArn(CloudFormationService cloudFormation, OperationInput i, string nameOrId)
    {
        try
        {
            return cloudFormation.Find(i.Scope, nameOrId).StackId;
        }
        catch (AwsException)
        {
            return AuthorizationTable.ArnOrBuild(nameOrId, name => AuthorizationTable.Arn(i, "cloudformation", $"stack/{name}/*"));
        }
    }
}
