using Stratus.Protocols;

namespace Stratus.Services.Sts;

/// <summary>STS's errors, worded as AWS words them.</summary>
public static class StsErrors
{
    public static AwsException AssumeRoleDenied(string callerArn, string roleArn) =>
        new("AccessDenied", $"User: {callerArn} is not authorized to perform: sts:AssumeRole on resource: {roleArn}", 403);

    public static AwsException DurationOutOfRange(int maxSessionDuration) =>
        new("ValidationError", $"The requested DurationSeconds exceeds the MaxSessionDuration set for this role ({maxSessionDuration}) or is below 900.");
}
