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
        .Select(operation => (Operation: operation, Member: "RoleARN", Service: "cloudformation.amazonaws.com"))
        // A stack set's administration role is passed to CloudFormation as a stack's service role is.
        .Concat(new[]
        {
            (Operation: "CreateStackSet", Member: "AdministrationRoleARN", Service: "cloudformation.amazonaws.com"),
            (Operation: "UpdateStackSet", Member: "AdministrationRoleARN", Service: "cloudformation.amazonaws.com"),
            // A private type's execution role is passed to the service principal its handlers assume it as.
            (Operation: "RegisterType", Member: "ExecutionRoleArn", Service: "resources.cloudformation.amazonaws.com"),
        })
        .ToDictionary(p => p.Operation, p => new PassedRole(p.Member, p.Service), StringComparer.Ordinal);

    public static AuthorizationTable Table(CloudFormationService cloudFormation) => new("cloudformation", unlisted: i =>
        i.String("StackName") is { } name ? [StackArn(cloudFormation, i, name)]
        : i.String("StackSetName") is { } stackSetName ? [StackSetArn(cloudFormation, i, stackSetName)]
        : [], passedRoles: PassedRoles);

    /// <summary>A stack set's ARN, arn:aws:cloudformation:REGION:ACCOUNT:stackset/NAME:ID; one that does not exist yet is stackset/NAME:*.</summary>
    private static string StackSetArn(CloudFormationService cloudFormation, OperationInput i, string nameOrId)
    {
        try
        {
            return cloudFormation.StackSets.Find(i.Scope, nameOrId).Arn;
        }
        catch (AwsException)
        {
            return AuthorizationTable.Arn(i, "cloudformation", $"stackset/{nameOrId.Split(':')[0]}:*");
        }
    }

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
