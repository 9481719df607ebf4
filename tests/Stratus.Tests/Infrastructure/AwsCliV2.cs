namespace Stratus.Tests.Infrastructure;

/// <summary>
/// The aws CLI v2 (Debian's awscli package), for what only v2 has: the Query protocol for CloudWatch
/// and `aws logs tail`. AWS_CLI_V2 names another binary; CI installs it with `apt-get install awscli`.
/// </summary>
public static class AwsCliV2
{
    public static string Path
    {
        get
        {
            var path = Environment.GetEnvironmentVariable("AWS_CLI_V2") ?? "/usr/bin/aws";
            Assert.True(File.Exists(path), $"The aws CLI v2 is needed at {path} (apt-get install awscli, or set AWS_CLI_V2).");
            return path;
        }
    }
}
