using System.Text.Json;
using Stratus.Protocols;
using Stratus.Services.CloudFormation;
using Stratus.Services.CloudFormation.Templates;

namespace Stratus.Tests.Services.CloudFormation;

/// <summary>The checks an IMPORT change set's template and ResourcesToImport pass before any resource is looked up.</summary>
public sealed class ResourceImportRulesTests
{
    private static readonly Dictionary<string, string> Identifiers = new()
    {
        ["AWS::Lambda::Function"] = "FunctionName",
        ["AWS::Logs::LogGroup"] = "LogGroupName",
    };

    private static readonly object Function = new
    {
        Type = "AWS::Lambda::Function",
        DeletionPolicy = "Retain",
        Properties = new { FunctionName = "fn", Runtime = "python3.12", Handler = "app.handler", Role = "arn:aws:iam::000000000000:role/r", Code = new { ZipFile = "x" } },
    };

    private static readonly object Group = new { Type = "AWS::Logs::LogGroup", DeletionPolicy = "Delete", Properties = new { LogGroupName = "/g" } };

    private static Template TemplateOf(object resources, object? outputs = null) =>
        Template.Parse(JsonSerializer.Serialize(outputs is null ? new { Resources = resources } : (object)new { Resources = resources, Outputs = outputs }));

    private static ResourceToImport Import(string type, string logicalId, string key, string value) =>
        new(type, logicalId, new Dictionary<string, string> { [key] = value });

    private static readonly ResourceToImport FunctionImport = Import("AWS::Lambda::Function", "Fn", "FunctionName", "fn");
    private static readonly ResourceToImport GroupImport = Import("AWS::Logs::LogGroup", "Group", "LogGroupName", "/g");

    private static AwsException Refusal(Template template, (Template, IReadOnlyCollection<string>)? current, params ResourceToImport[] imports) =>
        Assert.Throws<AwsException>(() => ResourceImportRules.Check(template, current, imports, Identifiers));

    [Fact]
    public void A_new_stack_made_of_imported_resources_each_with_a_deletion_policy_passes()
    {
        ResourceImportRules.Check(TemplateOf(new { Fn = Function, Group }), null, [FunctionImport, GroupImport], Identifiers);
    }

    [Fact]
    public void Every_resource_to_import_needs_a_deletion_policy_in_the_template()
    {
        var bare = new { Type = "AWS::Logs::LogGroup", Properties = new { LogGroupName = "/g" } };
        var fnBare = new { Type = "AWS::Lambda::Function", Properties = new { FunctionName = "fn" } };
        var error = Refusal(TemplateOf(new { Fn = fnBare, Group = bare }), null, FunctionImport, GroupImport);
        Assert.Equal("ValidationError", error.Code);
        Assert.Equal("The following resources to import [Fn, Group] must have DeletionPolicy attribute specified in the template.", error.Message);
    }

    [Fact]
    public void A_new_stack_cannot_create_resources_while_it_imports()
    {
        var error = Refusal(TemplateOf(new { Fn = Function, Group }), null, FunctionImport);
        Assert.Equal("You have modified resources [Group] in your template that are not being imported. " +
            "Update, create or delete operations cannot be executed during import operations.", error.Message);
    }

    [Fact]
    public void Importing_into_a_stack_leaves_its_other_resources_and_outputs_as_they_were()
    {
        var current = TemplateOf(new { Fn = Function });
        var changedFunction = new { Type = "AWS::Lambda::Function", DeletionPolicy = "Delete", Properties = new { FunctionName = "fn" } };
        var modified = Refusal(TemplateOf(new { Fn = changedFunction, Group }), (current, ["Fn"]), GroupImport);
        Assert.StartsWith("You have modified resources [Fn] in your template", modified.Message, StringComparison.Ordinal);
        var removed = Refusal(TemplateOf(new { Group }), (current, ["Fn"]), GroupImport);
        Assert.StartsWith("You have modified resources [Fn] in your template", removed.Message, StringComparison.Ordinal);
        var outputs = Refusal(TemplateOf(new { Fn = Function, Group }, new { Name = new { Value = "x" } }), (current, ["Fn"]), GroupImport);
        Assert.Equal("As part of the import operation, you cannot modify or add [Outputs]", outputs.Message);
        ResourceImportRules.Check(TemplateOf(new { Fn = Function, Group }), (current, ["Fn"]), [GroupImport], Identifiers);
    }

    [Fact]
    public void A_resource_the_stack_already_has_cannot_be_imported_again()
    {
        var error = Refusal(TemplateOf(new { Fn = Function }), (TemplateOf(new { Fn = Function }), ["Fn"]), FunctionImport);
        Assert.Equal("Resources [Fn] passed in ResourceToImport are already in a stack and cannot be imported.", error.Message);
    }

    [Fact]
    public void Each_resource_to_import_is_declared_with_its_type_and_named_by_its_types_identifier()
    {
        var template = TemplateOf(new { Fn = Function, Group });
        Assert.Contains("Resource Missing in ResourcesToImport is not declared in the template",
            Refusal(template, null, FunctionImport, GroupImport, Import("AWS::Logs::LogGroup", "Missing", "LogGroupName", "/m")).Message, StringComparison.Ordinal);
        Assert.Contains("is of type AWS::Logs::LogGroup, but the template declares it as AWS::Lambda::Function",
            Refusal(template, null, Import("AWS::Logs::LogGroup", "Fn", "LogGroupName", "/g"), GroupImport).Message, StringComparison.Ordinal);
        var identifier = Refusal(template, null, Import("AWS::Lambda::Function", "Fn", "FunctionArn", "fn"), GroupImport);
        Assert.Equal("ValidationError", identifier.Code);
        Assert.Equal("Invalid ResourceIdentifier {FunctionArn=fn} for resource Fn: a resource of type AWS::Lambda::Function is identified by [FunctionName].",
            identifier.Message);
        Assert.Contains("more than once", Refusal(template, null, FunctionImport, FunctionImport, GroupImport).Message, StringComparison.Ordinal);
        Assert.Contains("ResourcesToImport must be specified", Refusal(template, null).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_type_Stratus_cannot_import_is_refused_naming_it()
    {
        var version = new { Type = "AWS::Lambda::Version", DeletionPolicy = "Retain", Properties = new { FunctionName = "fn" } };
        var error = Refusal(TemplateOf(new { Version = version }), null, Import("AWS::Lambda::Version", "Version", "FunctionArn", "fn"));
        Assert.Equal("InvalidAction", error.Code);
        Assert.Contains("resource import of type AWS::Lambda::Version", error.Message, StringComparison.Ordinal);
        Assert.Contains("AWS::Lambda::Function, AWS::Logs::LogGroup", error.Message, StringComparison.Ordinal);
    }
}
