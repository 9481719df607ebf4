using System.Text;
using Stratus.Services.CloudFormation.Engine;
using Stratus.Services.CloudFormation.Templates;

namespace Stratus.Tests.Services.CloudFormation.Templates;

/// <summary>
/// The stack engine creates independent resources in parallel with one evaluator per operation: conditions first met
/// while resources evaluate (chains through {"Condition": name}) must come out right on every thread.
/// </summary>
public sealed class TemplateEvaluatorConcurrencyTests
{
    private const int Resources = 200;

    private static Template ManyIndependentResources()
    {
        var body = new StringBuilder("{\"Parameters\": {\"Mode\": {\"Type\": \"String\", \"Default\": \"on\"}}, \"Conditions\": {");
        for (var i = 0; i < Resources; i++)
        {
            // Odd resources' conditions hold, each through a chain of three conditions.
            body.Append($"\"Base{i}\": {{\"Fn::Equals\": [{{\"Ref\": \"Mode\"}}, \"{(i % 2 == 1 ? "on" : "off")}\"]}},");
            body.Append($"\"Middle{i}\": {{\"Fn::Not\": [{{\"Fn::Not\": [{{\"Condition\": \"Base{i}\"}}]}}]}},");
            body.Append($"\"Top{i}\": {{\"Fn::Or\": [{{\"Condition\": \"Middle{i}\"}}, {{\"Fn::Equals\": [\"a\", \"b\"]}}]}}{(i < Resources - 1 ? "," : "")}");
        }
        body.Append("}, \"Resources\": {");
        for (var i = 0; i < Resources; i++)
            body.Append($"\"Role{i}\": {{\"Type\": \"AWS::IAM::Role\", \"Properties\": {{\"RoleName\": {{\"Fn::If\": [\"Top{i}\", \"held-{i}\", \"not-{i}\"]}}}}}}{(i < Resources - 1 ? "," : "")}");
        return Template.Parse(body.Append("}}").ToString());
    }

    [Fact]
    public async Task Conditions_first_evaluated_by_resources_created_in_parallel_come_out_right()
    {
        var template = ManyIndependentResources();
        for (var round = 0; round < 5; round++)
        {
            var evaluator = new TemplateEvaluator(template, ParameterDefinition.Resolve(template, [], null),
                new PseudoParameters("123456789012", "us-east-1", "parallel", "arn:aws:cloudformation:us-east-1:123456789012:stack/parallel/id"),
                _ => null, _ => null);
            var names = new System.Collections.Concurrent.ConcurrentDictionary<string, string>();
            var failed = await StackEngine.RunInOrder(template.Resources.Keys.ToList(), _ => [], stopOnFailure: false, id => Task.Run(() =>
            {
                names[id] = evaluator.EvaluateString(template.Resources[id].Properties["RoleName"], "RoleName");
                return true;
            }));

            Assert.Empty(failed);
            for (var i = 0; i < Resources; i++) Assert.Equal(i % 2 == 1 ? $"held-{i}" : $"not-{i}", names[$"Role{i}"]);
        }
    }
}
