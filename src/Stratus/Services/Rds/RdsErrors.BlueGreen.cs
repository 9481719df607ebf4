using Stratus.Protocols;

namespace Stratus.Services.Rds;

/// <summary>Blue/green deployment errors, with the codes and status codes of botocore's rds model.</summary>
public static partial class RdsErrors
{
    public static AwsException BlueGreenNotFound(string id) =>
        new("BlueGreenDeploymentNotFoundFault", $"BlueGreenDeploymentIdentifier {id} doesn't refer to an existing blue/green deployment.", 404);

    public static AwsException BlueGreenAlreadyExists(string message) => new("BlueGreenDeploymentAlreadyExistsFault", message);

    public static AwsException InvalidBlueGreenState(string message) => new("InvalidBlueGreenDeploymentStateFault", message);

    public static AwsException SourceClusterNotSupported(string source) =>
        new("SourceClusterNotSupportedFault", $"The source DB cluster {source} isn't supported for a blue/green deployment: Stratus makes blue/green deployments of DB instances.");

    public static AwsException SourceDatabaseNotSupported(string source, string why) =>
        new("SourceDatabaseNotSupportedFault", $"The source DB instance {source} isn't supported for a blue/green deployment: {why}.");
}
