using System.Text.Json.Nodes;
using Stratus.Services.Iam;

namespace Stratus.Services.CloudFormation.Templates.Serverless;

/// <summary>
/// The execution role SAM generates as &lt;Fn&gt;Role: trusted by Lambda, with AWSLambdaBasicExecutionRole
/// (and AWSLambdaVPCAccessExecutionRole for a function in a VPC), and the function's Policies: managed
/// policy names or ARNs, inline policy documents, and SAM policy templates, each inline one named
/// &lt;Fn&gt;RolePolicy&lt;index&gt; by its place in the list.
/// </summary>
public static class SamRole
{
    public static JsonObject Build(string functionId, JsonObject raw, JsonObject p)
    {
        var roleId = functionId + "Role";
        var managed = new JsonArray(ManagedArn("AWSLambdaBasicExecutionRole"));
        if (p.ContainsKey("VpcConfig")) managed.Add(ManagedArn("AWSLambdaVPCAccessExecutionRole"));
        var inline = new JsonArray();
        var policies = p["Policies"] switch
        {
            null => [],
            JsonArray list => list.ToList(),
            var single => [single],
        };
        for (var index = 0; index < policies.Count; index++)
        {
            var policy = policies[index];
            if (SamTransform.Text(policy) is { } name) managed.Add(name.StartsWith("arn:", StringComparison.Ordinal) ? name : ManagedArn(name));
            else if (SamTransform.IsIntrinsic(policy)) managed.Add(policy!.DeepClone());
            else if (policy is JsonObject document && document.ContainsKey("Statement"))
                inline.Add(Inline(roleId, index, document.DeepClone()));
            else if (policy is JsonObject { Count: 1 } template)
                inline.Add(Inline(roleId, index, SamPolicyTemplates.Expand(functionId, template.First().Key, template.First().Value)));
            else throw SamErrors.Invalid(functionId, $"Policy at index {index} in the 'Policies' property is not valid: a managed policy name or ARN, a policy document, or a policy template.");
        }

        var properties = new JsonObject
        {
            ["AssumeRolePolicyDocument"] = p["AssumeRolePolicyDocument"]?.DeepClone() ?? new JsonObject
            {
                ["Version"] = "2012-10-17",
                ["Statement"] = new JsonArray(new JsonObject
                {
                    ["Action"] = new JsonArray("sts:AssumeRole"),
                    ["Effect"] = "Allow",
                    ["Principal"] = new JsonObject { ["Service"] = new JsonArray("lambda.amazonaws.com") },
                }),
            },
            ["ManagedPolicyArns"] = managed,
        };
        if (inline.Count > 0) properties["Policies"] = inline;
        if (p["PermissionsBoundary"] is { } boundary) properties["PermissionsBoundary"] = boundary.DeepClone();
        if (p["RolePath"] is { } path) properties["Path"] = path.DeepClone();
        properties["Tags"] = SamTransform.SamTags(p["PropagateTags"] is JsonValue propagate && propagate.TryGetValue<bool>(out var yes) && yes
            ? p["Tags"] as JsonObject
            : null);
        return SamTransform.Resource("AWS::IAM::Role", properties, raw);
    }

    private static JsonObject Inline(string roleId, int index, JsonNode document) => new()
    {
        ["PolicyName"] = $"{roleId}Policy{index}",
        ["PolicyDocument"] = document,
    };

    /// <summary>An AWS managed policy's ARN by name, under its path (service-role/ for the Lambda roles) as IAM files it.</summary>
    private static string ManagedArn(string name)
    {
        var path = AwsManagedPolicies.All.FirstOrDefault(policy => policy.PolicyName == name)?.Path ?? "/";
        return $"arn:aws:iam::aws:policy{path}{name}";
    }
}
