using Stratus.Services.Kms;
using System.Text.Json.Nodes;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Services.CloudFormation.Resources;
using Stratus.Services.CloudFormation.Templates;
using Stratus.Services.SecretsManager;
using Stratus.Services.SecretsManager.CloudFormation;
using Stratus.Services.Ssm;

namespace Stratus.Tests.Services.SecretsManager;

public sealed class SecretsManagerRulesTests
{
    private static readonly Scope Scope = Scope.Of("000000000000", "us-east-1");

    [Fact]
    public void Passwords_hold_each_included_type_and_none_excluded()
    {
        for (var i = 0; i < 200; i++)
        {
            var password = SecretsManagerRules.Password(new PasswordOptions { Length = 4, ExcludeCharacters = "aA0!" });
            Assert.Equal(4, password.Length);
            Assert.Contains(password, char.IsAsciiLetterLower);
            Assert.Contains(password, char.IsAsciiLetterUpper);
            Assert.Contains(password, char.IsAsciiDigit);
            Assert.Contains(password, c => SecretsManagerRules.Punctuation.Contains(c));
            Assert.DoesNotContain(password, c => "aA0!".Contains(c));
        }
        Assert.Equal("InvalidParameterException",
            Assert.Throws<AwsException>(() => SecretsManagerRules.Password(new PasswordOptions { Length = 3 })).Code);
        Assert.Equal(3, SecretsManagerRules.Password(new PasswordOptions { Length = 3, RequireEachIncludedType = false }).Length);
    }

    [Fact]
    public void Dynamic_references_resolve_every_form_and_refuse_ssm_secure_outside_aws_list()
    {
        using var store = StateStore.Ephemeral();
        var ssm = new SsmService(store, TimeProvider.System, new KmsService(store, TimeProvider.System, null));
        var secrets = new SecretsManagerService(store, TimeProvider.System, null);
        var references = new DynamicReferences(new DynamicReferenceValues(ssm, secrets));
        ssm.Put(Scope, new PutParameterRequest("/p", "one", "String", null, null, false, null, null, new Dictionary<string, string>()));
        ssm.Put(Scope, new PutParameterRequest("/p", "two", null, null, null, true, null, null, new Dictionary<string, string>()));
        ssm.Put(Scope, new PutParameterRequest("/secure", "s3cure", "SecureString", null, null, false, null, null, new Dictionary<string, string>()));
        var (secret, first) = secrets.Create(Scope, new CreateSecretRequest("db", null, null, null, new SecretValue("""{"user":"u","pass":"p1","port":3306}""", null), []));
        secrets.PutValue(Scope, "db", null, new SecretValue("""{"user":"u","pass":"p2"}""", null), null);

        var resolved = references.Resolve(Scope, "AWS::RDS::DBInstance", new JsonObject
        {
            ["MasterUserPassword"] = "{{resolve:ssm-secure:/secure}}",
            ["Whole"] = "{{resolve:secretsmanager:db}}",
            ["Key"] = "pre-{{resolve:secretsmanager:db:SecretString:pass}}-{{resolve:ssm:/p}}-{{resolve:ssm:/p:1}}",
            ["Arn"] = $"{{{{resolve:secretsmanager:{secret.Arn}:SecretString:pass}}}}",
            ["Previous"] = "{{resolve:secretsmanager:db:SecretString:pass:AWSPREVIOUS}}",
            ["ById"] = $"{{{{resolve:secretsmanager:db:SecretString:port::{first!.VersionId}}}}}",
            ["List"] = new JsonArray("{{resolve:ssm:/p}}", 1),
        });
        Assert.Equal("s3cure", (string?)resolved["MasterUserPassword"]);
        Assert.Equal("""{"user":"u","pass":"p2"}""", (string?)resolved["Whole"]);
        Assert.Equal("pre-p2-two-one", (string?)resolved["Key"]);
        Assert.Equal("p2", (string?)resolved["Arn"]);
        Assert.Equal("p1", (string?)resolved["Previous"]);
        Assert.Equal("3306", (string?)resolved["ById"]);
        Assert.Equal("""["two",1]""", resolved["List"]!.ToJsonString());

        var secure = Assert.Throws<ResourcePropertyException>(() => references.Resolve(Scope, "AWS::Lambda::Function",
            new JsonObject { ["Environment"] = new JsonObject { ["Variables"] = new JsonObject { ["PW"] = "{{resolve:ssm-secure:/secure}}" } } }));
        Assert.Equal("SSM Secure reference is not supported in: [AWS::Lambda::Function/Properties/Environment/Variables/PW]", secure.Message);
        Assert.Throws<ResourcePropertyException>(() => references.Resolve(Scope, "AWS::Lambda::Function", new JsonObject { ["X"] = "{{resolve:ssm:/secure}}" }));
        var missing = Assert.Throws<ResourcePropertyException>(() => references.Resolve(Scope, "AWS::Lambda::Function", new JsonObject { ["X"] = "{{resolve:secretsmanager:nope}}" }));
        Assert.StartsWith("Secrets Manager can't find the specified secret.", missing.Message);
        Assert.Throws<ResourcePropertyException>(() => references.Resolve(Scope, "AWS::Lambda::Function", new JsonObject { ["X"] = "{{resolve:secretsmanager:db:SecretString:absent}}" }));
        Assert.Throws<ResourcePropertyException>(() => references.Resolve(Scope, "AWS::Lambda::Function", new JsonObject { ["X"] = "{{resolve:secretsmanager:db:SecretBinary}}" }));
    }
}
