using System.Text.RegularExpressions;
using Stratus.Protocols;
using Stratus.Services.Iam.Engine;

namespace Stratus.Services.Lambda;

/// <summary>
/// What `--auth enforce` authorizes Lambda's operations against (Service Authorization Reference, AWS
/// Lambda): a function's ARN, qualified when the request names a version or alias (a policy on the
/// unqualified ARN does not cover a qualified call, as on AWS), a layer's or layer version's ARN; the
/// action of Invoke is lambda:InvokeFunction. Function policies (AddPermission) are the resource policies.
/// </summary>
public static partial class LambdaAuthorization
{
    private static readonly string[] FunctionOperations =
    [
        "CreateFunction", "GetFunction", "GetFunctionConfiguration", "UpdateFunctionCode", "UpdateFunctionConfiguration", "DeleteFunction",
        "InvokeAsync", "AddPermission", "GetPolicy", "RemovePermission", "PublishVersion", "ListVersionsByFunction",
        "PutFunctionConcurrency", "GetFunctionConcurrency", "DeleteFunctionConcurrency", "GetFunctionCodeSigningConfig",
        "PutFunctionCodeSigningConfig", "DeleteFunctionCodeSigningConfig",
        "CreateFunctionUrlConfig", "GetFunctionUrlConfig", "UpdateFunctionUrlConfig", "DeleteFunctionUrlConfig", "ListFunctionUrlConfigs",
        "PutFunctionEventInvokeConfig", "UpdateFunctionEventInvokeConfig", "GetFunctionEventInvokeConfig", "DeleteFunctionEventInvokeConfig", "ListFunctionEventInvokeConfigs",
        "PutFunctionRecursionConfig", "GetFunctionRecursionConfig",
    ];

    /// <summary>Aliases are authorized on their function's unqualified ARN.</summary>
    private static readonly string[] AliasOperations = ["CreateAlias", "GetAlias", "ListAliases", "UpdateAlias", "DeleteAlias"];

    private static readonly string[] LayerVersionOperations = ["GetLayerVersion", "DeleteLayerVersion", "AddLayerVersionPermission", "GetLayerVersionPolicy", "RemoveLayerVersionPermission"];

    private static readonly string[] CodeSigningConfigOperations =
        ["GetCodeSigningConfig", "UpdateCodeSigningConfig", "DeleteCodeSigningConfig", "ListFunctionsByCodeSigningConfig"];

    /// <summary>Operations on one durable execution, authorized on its ARN (the durable-execution resource type).</summary>
    private static readonly string[] DurableExecutionOperations =
        ["CheckpointDurableExecution", "GetDurableExecution", "GetDurableExecutionHistory", "GetDurableExecutionState", "StopDurableExecution"];

    /// <summary>CreateFunction and UpdateFunctionConfiguration pass their Role to Lambda: iam:PassRole on it, as AWS checks.</summary>
    private static readonly Dictionary<string, PassedRole> PassedRoles = new(StringComparer.Ordinal)
    {
        ["CreateFunction"] = new("Role", "lambda.amazonaws.com"),
        ["UpdateFunctionConfiguration"] = new("Role", "lambda.amazonaws.com"),
    };

    public static AuthorizationTable Table(LambdaService lambda) => new("lambda", arn => lambda.ResourcePolicyOf(arn),
        context: AddConditionKeys, resourceTags: arn => lambda.TagsOf(arn), passedRoles: PassedRoles)
    {
        { FunctionOperations, i => FunctionArn(i, i.String("FunctionName"), i.String("Qualifier")) },
        { "Invoke", "InvokeFunction", i => FunctionArn(i, i.String("FunctionName"), i.String("Qualifier")) },
        { "InvokeWithResponseStream", "InvokeFunction", i => FunctionArn(i, i.String("FunctionName"), i.String("Qualifier")) },
        { AliasOperations, i => FunctionArn(i, i.String("FunctionName"), null) },
        { ["TagResource", "UntagResource", "ListTags"], i => i.String("Resource") ?? "*" },
        { "PublishLayerVersion", i => i.String("LayerName") is { } layer ? LayerArn(i, layer) : "*" },
        { LayerVersionOperations, i => i.String("LayerName") is { } layer ? $"{LayerArn(i, layer)}:{i.String("VersionNumber")}" : "*" },
        { "GetLayerVersionByArn", "GetLayerVersion", i => i.String("Arn") ?? "*" },
        { CodeSigningConfigOperations, i => i.String("CodeSigningConfigArn") ?? "*" },
        { DurableExecutionOperations, i => i.String("DurableExecutionArn") ?? "*" },
        { "ListDurableExecutionsByFunction", i => FunctionArn(i, i.String("FunctionName"), i.String("Qualifier")) },
    };

    /// <summary>
    /// Lambda's condition keys (Service Authorization Reference): lambda:FunctionArn on event source mapping
    /// operations, lambda:Principal on AddPermission/RemovePermission, lambda:FunctionUrlAuthType on function URL
    /// configuration, lambda:Layer on CreateFunction/UpdateFunctionConfiguration's layers.
    /// </summary>
    private static void AddConditionKeys(OperationInput input, RequestContext request)
    {
        switch (request.Action)
        {
            case "lambda:CreateEventSourceMapping" or "lambda:UpdateEventSourceMapping" when input.String("FunctionName") is { } name:
                request.With("lambda:FunctionArn", FunctionArn(input, name, null));
                break;
            case "lambda:AddPermission" when input.String("Principal") is { } principal:
                request.With("lambda:Principal", principal);
                break;
            case "lambda:CreateFunctionUrlConfig" or "lambda:UpdateFunctionUrlConfig" when input.String("AuthType") is { } authType:
                request.With("lambda:FunctionUrlAuthType", authType);
                break;
            case "lambda:CreateFunction" or "lambda:UpdateFunctionConfiguration" when AuthorizationTable.Strings(input, "Layers").ToList() is { Count: > 0 } layers:
                request.With("lambda:Layer", layers);
                break;
        }
    }

    /// <summary>The ARN a function name, partial ARN or ARN names, with the request's qualifier (or the ARN's) appended.</summary>
    public static string FunctionArn(OperationInput input, string? functionName, string? qualifier)
    {
        if (functionName is null || FunctionName().Match(functionName) is not { Success: true } match) return "*";
        var region = match.Groups["region"].Success ? match.Groups["region"].Value : input.Scope.Region;
        var account = match.Groups["account"].Success ? match.Groups["account"].Value : input.Scope.AccountId;
        qualifier ??= match.Groups["qualifier"].Success ? match.Groups["qualifier"].Value : null;
        var arn = LambdaArns.Function(account, region, match.Groups["name"].Value);
        return qualifier is null ? arn : $"{arn}:{qualifier}";
    }

    private static string LayerArn(OperationInput input, string layer) =>
        AuthorizationTable.ArnOrBuild(layer, name => LambdaArns.Layer(input.Scope.AccountId, input.Scope.Region, name));

    [GeneratedRegex(@"^(arn:aws[a-zA-Z-]*:lambda:)?((?<region>[a-z]{2}(-gov)?-[a-z]+-\d):)?((?<account>\d{12}):)?(function:)?(?<name>[a-zA-Z0-9-_.]+)(:(?<qualifier>\$LATEST|[a-zA-Z0-9-_]+))?$")]
    private static partial Regex FunctionName();
}

public sealed partial class LambdaService
{
    /// <summary>
    /// The function policy (AddPermission's statements) of the function a function ARN names, as GetPolicy
    /// renders it, or null when it has none; statements name their own (qualified or not) resource.
    /// </summary>
    public string? ResourcePolicyOf(string arn)
    {
        if (arn.Split(':') is not ["arn", _, "lambda", var region, var account, "function", var name, ..]) return null;
        var function = _functions.Get(Key(account, region, name));
        return function is { Policy.Count: > 0 } ? LambdaPolicy.Document(function.Policy) : null;
    }

    /// <summary>
    /// The tags of the function a (qualified or unqualified) function ARN names, or of the code signing config a config ARN
    /// names (both are tagged resources aws:ResourceTag sees), null when there is no such resource.
    /// </summary>
    public IReadOnlyDictionary<string, string>? TagsOf(string arn) =>
        ParseCodeSigningArn(arn) is var (configRegion, configAccount, id) ? _codeSigningConfigs.Get(CodeSigningKey(configAccount, configRegion, id))?.Tags
        : arn.Split(':') is ["arn", _, "lambda", var region, var account, "function", var name, ..] ? _functions.Get(Key(account, region, name))?.Tags : null;
}
