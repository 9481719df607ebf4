using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.CloudFormation;

/// <summary>The template files the CloudFormation tests deploy (all cfn-lint clean).</summary>
public static class CloudFormationTemplates
{
    public static string Directory { get; } = Path.Combine(RepoPaths.Root, "tests", "Stratus.Tests", "Services", "CloudFormation", "Fixtures");

    public static string PathOf(string name) => Path.Combine(Directory, name);

    /// <summary>A Python expression reading the template, for boto3 scripts.</summary>
    public static string Python(string name) => $"open({System.Text.Json.JsonSerializer.Serialize(PathOf(name))}).read()";
}
