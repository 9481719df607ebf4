namespace Stratus.Services.ApiGateway;

/// <summary>One configuration property of an SDK type (GetSdk's <c>parameters</c>), as GetSdkTypes lists it.</summary>
public sealed record SdkConfigurationProperty(string Name, string FriendlyName, string Description, bool Required, string? DefaultValue = null);

/// <summary>
/// An SDK type API Gateway offers (GetSdkTypes, GetSdkType), with <see cref="Generated"/> telling whether Stratus generates it. The ids and
/// property names are AWS's (GetSdk's documentation: classPrefix for objectivec and swift; groupId, artifactId, artifactVersion and
/// invokerPackage for android; serviceName and javaPackageName for java; service.name for ruby); the friendly names and descriptions
/// follow the console's labels.
/// </summary>
public sealed record SdkType(string Id, string FriendlyName, string Description, IReadOnlyList<SdkConfigurationProperty> ConfigurationProperties, bool Generated)
{
    public static readonly IReadOnlyList<SdkType> All =
    [
        new("android", "Android", "Android SDK",
        [
            new("groupId", "Group ID", "The unique identifier of the project, used in the pom.xml file (for example com.mycompany)", true),
            new("invokerPackage", "Invoker package", "The namespace of the generated client classes (for example com.mycompany.clientsdk)", true),
            new("artifactId", "Artifact ID", "The name of the compiled .jar file without its version, used in the pom.xml file", true),
            new("artifactVersion", "Artifact version", "The artifact version of the generated client, major.minor.patch (for example 1.0.0)", true),
        ], Generated: false),
        new("java", "Java SDK", "Java SDK",
        [
            new("serviceName", "Service Name", "The name of the SDK, used to name the client class", true),
            new("javaPackageName", "Java Package Name", "The package of the generated classes", true),
            new("javaBuildSystem", "Java Build System", "The build system of the generated project: maven or gradle", false, "maven"),
            new("javaGroupId", "Java Group Id", "The group id of the generated project", false),
            new("javaArtifactId", "Java Artifact Id", "The artifact id of the generated project", false),
            new("javaArtifactVersion", "Java Artifact Version", "The version of the generated artifact", false, "1.0.0"),
        ], Generated: true),
        new("javascript", "JavaScript", "JavaScript SDK", [], Generated: true),
        new("objectivec", "iOS (Objective-C)", "Objective-C SDK",
        [
            new("classPrefix", "Prefix", "The prefix of the generated class names", true),
        ], Generated: false),
        new("ruby", "Ruby", "Ruby SDK",
        [
            new("service.name", "Service Name", "The name of the SDK, letters only, used for the gem's namespace (for example SimpleCalc)", true),
            new("ruby.gem-name", "Ruby Gem Name", "The name of the gem; the lower-cased service name with -sdk by default", false),
            new("ruby.gem-version", "Ruby Gem Version", "The version of the gem", false, "1.0.0"),
        ], Generated: false),
        new("swift", "iOS (Swift)", "Swift SDK",
        [
            new("classPrefix", "Prefix", "The prefix of the generated class names", true),
        ], Generated: false),
    ];
}

