using Stratus.Protocols;
using Stratus.Services.ApiGateway.Engine;
using static Stratus.Services.ApiGateway.ApiGatewayErrors;

namespace Stratus.Services.ApiGateway;

/// <summary>
/// Client SDK generation (GetSdkTypes, GetSdkType, GetSdk). Every SDK type AWS offers is listed with its configuration properties; Stratus
/// generates the JavaScript and Java SDKs from the stage's deployed resources and methods (<see cref="JavaScriptClientSdk"/>,
/// <see cref="JavaClientSdk"/>) and refuses the others
/// by name rather than answer a client it did not build.
/// </summary>
public sealed partial class ApiGatewayService
{
    public static SdkType GetSdkType(string id) =>
        SdkType.All.FirstOrDefault(t => t.Id == id) ?? throw NotFound($"Invalid SDK type identifier specified: {id}");

    /// <summary>The SDK of a deployed stage, calling it at <paramref name="invokeUrl"/> (the stage's invoke URL on Stratus's own address).</summary>
    public ExportedDefinition GetSdk(Scope scope, string apiId, string stageName, string sdkType, IReadOnlyDictionary<string, string> parameters, string invokeUrl)
    {
        var api = Api(scope, apiId).Api;
        var stage = StageOf(scope, apiId, stageName).Stage;
        var type = GetSdkType(sdkType);
        if (!type.Generated)
            throw BadRequest($"Stratus does not generate the {type.Id} SDK ({type.FriendlyName}): it generates the javascript and java SDKs only");
        if (type.ConfigurationProperties.FirstOrDefault(p => p.Required && !parameters.ContainsKey(p.Name)) is { } missing)
            throw BadRequest($"The parameter {missing.Name} is required for the {type.Id} SDK");
        var deployment = DeploymentOf(scope, apiId, stage.DeploymentId);
        var zip = type.Id == "java"
            ? JavaClientSdk.Generate(api, stageName, deployment, invokeUrl, scope.Region, parameters)
            : JavaScriptClientSdk.Generate(api, stageName, deployment, invokeUrl, scope.Region);
        // The API's name is the caller's text: only file-name characters of it go into the header.
        var name = new string([.. api.Name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_')]);
        return new(zip, "application/zip", $"attachment; filename=\"{name}-{stageName}-{type.Id}.zip\"");
    }
}
