using System.Text.Json.Nodes;
using Stratus.Services.CloudFormation;
using Stratus.Services.CloudFormation.StackRefactors;
using Stratus.Services.CloudFormation.Templates;

namespace Stratus.Tests.Services.CloudFormation.StackRefactors;

public sealed class StackRefactorPlannerTests
{
    private static readonly JsonObject Queue = new() { ["Type"] = "AWS::SSM::Parameter", ["Properties"] = new JsonObject { ["Type"] = "String", ["Value"] = "q" } };

    private static JsonObject User(string target) => new()
    {
        ["Type"] = "AWS::SSM::Parameter",
        ["Properties"] = new JsonObject { ["Type"] = "String", ["Value"] = new JsonObject { ["Fn::Sub"] = "${" + target + "}-user" } },
        ["DependsOn"] = target,
    };

    private static string Body(params (string Id, JsonObject Definition)[] resources) =>
        new JsonObject { ["Resources"] = new JsonObject(resources.Select(r => KeyValuePair.Create(r.Id, (JsonNode?)r.Definition.DeepClone()))) }.ToJsonString();

    private static StackRecord Stack(string name, string body) => new()
    {
        StackId = $"arn:aws:cloudformation:us-east-1:000000000000:stack/{name}/1",
        StackName = name, AccountId = "000000000000", Region = "us-east-1", Status = StackStatus.CreateComplete,
        CreationTime = DateTimeOffset.UnixEpoch, TemplateBody = body,
        Resources = Template.Parse(body).Resources.Keys.ToDictionary(id => id, id => new StackResourceRecord
        {
            LogicalId = id, Type = "AWS::SSM::Parameter", PhysicalId = "/" + id, Status = StackStatus.CreateComplete, Timestamp = DateTimeOffset.UnixEpoch,
        }),
    };

    private static RefactorSubject Subject(StackRecord? current, string name, string target) => new(name, Template.Parse(target), current);

    [Fact]
    public void A_resource_renamed_with_the_one_it_uses_compares_equal_through_its_references()
    {
        var a = Stack("a", Body(("Queue", Queue), ("User", User("Queue")), ("Stay", Queue)));
        var b = Stack("b", Body(("Other", Queue)));
        var moves = StackRefactorPlanner.Plan(
            [Subject(a, "a", Body(("Stay", Queue))), Subject(b, "b", Body(("Other", Queue), ("Jobs", Queue), ("User", User("Jobs"))))],
            [new ResourceMapping(new ResourceLocation("a", "Queue"), new ResourceLocation("b", "Jobs"))]);

        Assert.Equal(new[] { "a.Queue -> b.Jobs /Queue MANUAL", "a.User -> b.User /User AUTO" },
            moves.Select(m => $"{m.Source} -> {m.Destination} {m.PhysicalResourceId} {m.Detection}").Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_resource_cannot_leave_the_resource_it_depends_on_behind()
    {
        // Stack b has a Queue of its own, so its template is valid, but it is not the Queue a's User uses.
        var a = Stack("a", Body(("Queue", Queue), ("User", User("Queue"))));
        var b = Stack("b", Body(("Queue", Queue)));
        var refusal = Assert.Throws<StackRefactorRefusal>(() => StackRefactorPlanner.Plan(
            [Subject(a, "a", Body(("Queue", Queue))), Subject(b, "b", Body(("Queue", Queue), ("User", User("Queue"))))], []));
        Assert.Equal("Resource a.User depends on a.Queue, which does not move to stack b with it.", refusal.Message);
    }

    [Fact]
    public void A_new_stack_may_not_bring_parameters_and_a_logical_id_in_two_stacks_needs_a_mapping()
    {
        var a = Stack("a", Body(("Queue", Queue), ("Keep", Queue)));
        var b = Stack("b", Body(("Queue", Queue), ("Other", Queue)));
        var ambiguous = Assert.Throws<StackRefactorRefusal>(() => StackRefactorPlanner.Plan(
            [Subject(a, "a", Body(("Keep", Queue))), Subject(b, "b", Body(("Other", Queue))), Subject(null, "c", Body(("Queue", Queue)))], []));
        Assert.Equal("Resource c.Queue could come from a.Queue or b.Queue: say which with ResourceMappings.", ambiguous.Message);

        var withParameters = """{"Parameters": {"P": {"Type": "String"}}, "Resources": {"Queue": {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Value": "q"}}}}""";
        var parameters = Assert.Throws<StackRefactorRefusal>(() => StackRefactorPlanner.Plan(
            [Subject(a, "a", Body(("Keep", Queue))), Subject(null, "c", withParameters)], []));
        Assert.StartsWith("The template for new stack c declares Parameters", parameters.Message);
    }
}
