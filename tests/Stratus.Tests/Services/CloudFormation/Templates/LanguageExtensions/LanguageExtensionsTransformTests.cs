using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Services.CloudFormation.Templates;
using Stratus.Services.CloudFormation.Templates.LanguageExtensions;

namespace Stratus.Tests.Services.CloudFormation.Templates.LanguageExtensions;

/// <summary>
/// The AWS::LanguageExtensions transform on its own: Fn::ForEach's expansion (substitutions, collections, nesting, its
/// errors), the functions it adds and the forms it enables, and its bounds; every expanded template also parses as plain CloudFormation.
/// </summary>
public sealed class LanguageExtensionsTransformTests
{
    private const int Megabyte = 1024 * 1024;

    private static JsonObject Expanded(string yaml, Dictionary<string, string>? parameters = null, int maxBytes = Megabyte)
    {
        var root = LanguageExtensionsTransform.Expand(TemplateReader.Parse(yaml), parameters ?? [], "123456789012", "eu-west-1", maxBytes);
        Template.Parse(root.ToJsonString());
        return root;
    }

    private static string Refused(string yaml, Dictionary<string, string>? parameters = null, int maxBytes = Megabyte) =>
        Assert.Throws<AwsException>(() => LanguageExtensionsTransform.Expand(TemplateReader.Parse(yaml), parameters ?? [], "123456789012", "eu-west-1", maxBytes)).Message;

    private static string Keys(JsonNode? section) => string.Join(",", section!.AsObject().Select(p => p.Key));

    private const string TopicLoop = """
        Resources:
          Fn::ForEach::Topics:
            - Name
            - [alpha-1, beta.2]
            - Topic&{Name}:
                Type: AWS::SNS::Topic
                Properties:
                  TopicName: !Ref Name
                  DisplayName: !Sub "${Name}-${AWS::Region}"
        """;

    [Fact]
    public void A_loop_copies_its_fragment_per_item_with_both_substitutions_and_the_identifier_ref()
    {
        var resources = Expanded(TopicLoop)["Resources"]!;
        Assert.Equal("Topicalpha1,Topicbeta2", Keys(resources));
        Assert.Equal("""{"TopicName":"alpha-1","DisplayName":{"Fn::Sub":"alpha-1-${AWS::Region}"}}""", resources["Topicalpha1"]!["Properties"]!.ToJsonString());
        Assert.Equal("beta.2", (string)resources["Topicbeta2"]!["Properties"]!["TopicName"]!);
    }

    [Fact]
    public void A_collection_from_a_comma_delimited_list_parameter_expands_conditions_resources_and_outputs()
    {
        var root = Expanded("""
            Parameters:
              Names: { Type: CommaDelimitedList, Default: "x,y" }
              Wanted: { Type: String }
            Conditions:
              Fn::ForEach::Wants:
                - N
                - !Ref Names
                - Want${N}: !Equals [!Ref Wanted, "${N}"]
            Resources:
              Fn::ForEach::Groups:
                - N
                - !Ref Names
                - Group${N}:
                    Type: AWS::Logs::LogGroup
                    Condition: Want${N}
            Outputs:
              Fn::ForEach::GroupOutputs:
                - N
                - !Ref Names
                - Group${N}Name:
                    Value: !Ref
                      Fn::Sub: Group${N}
            """, new() { ["Names"] = "red, green ,blue", ["Wanted"] = "green" });
        Assert.Equal("Wantred,Wantgreen,Wantblue", Keys(root["Conditions"]));
        Assert.Equal("""{"Fn::Equals":[{"Ref":"Wanted"},"green"]}""", root["Conditions"]!["Wantgreen"]!.ToJsonString());
        Assert.Equal("Groupred,Groupgreen,Groupblue", Keys(root["Resources"]));
        Assert.Equal("Wantblue", (string)root["Resources"]!["Groupblue"]!["Condition"]!);
        Assert.Equal("""{"Value":{"Ref":"Groupgreen"}}""", root["Outputs"]!["GroupgreenName"]!.ToJsonString());
    }

    [Fact]
    public void Nested_loops_multiply_and_a_loop_in_resource_properties_expands_there()
    {
        var resources = Expanded("""
            Resources:
              Fn::ForEach::Outer:
                - Env
                - [Dev, Prod]
                - Fn::ForEach::Inner:
                    - Part
                    - [A, B]
                    - ${Env}${Part}:
                        Type: AWS::SSM::Parameter
                        Properties:
                          Type: String
                          Value: ${Env}/${Part}
                          Tags:
                            Fn::ForEach::TagLoop:
                              - Tag
                              - [one, two]
                              - ${Tag}: ${Env}-${Part}-${Tag}
            """)["Resources"]!;
        Assert.Equal("DevA,DevB,ProdA,ProdB", Keys(resources));
        Assert.Equal("""{"Type":"String","Value":"Prod/B","Tags":{"one":"Prod-B-one","two":"Prod-B-two"}}""", resources["ProdB"]!["Properties"]!.ToJsonString());
    }

    [Fact]
    public void Loops_nest_at_most_five_deep()
    {
        string Nested(int depth) => depth == 0
            ? "{\"R${I1}\": {\"Type\": \"AWS::CloudFormation::WaitConditionHandle\"}}"
            : $"{{\"Fn::ForEach::L{depth}\": [\"I{depth}\", [\"a\"], {Nested(depth - 1)}]}}";
        string Template(int depth) => $"{{\"Resources\": {Nested(depth)}}}";
        Assert.Equal("Ra", Keys(Expanded(Template(5))["Resources"]));
        Assert.Equal("Transform AWS::LanguageExtensions failed with: Fn::ForEach::L1 is nested more than 5 Fn::ForEach loops deep.", Refused(Template(6)));
    }

    [Theory]
    [InlineData("""
        Resources:
          TopicA: { Type: AWS::SNS::Topic }
          Fn::ForEach::T: [X, [A], { "Topic${X}": { Type: AWS::SNS::Topic } }]
        """, "Fn::ForEach produces the key TopicA, which is already declared at the same level.")]
    [InlineData("""
        Resources:
          Fn::ForEach::T: [X, [a-b, a.b], { "Topic&{X}": { Type: AWS::SNS::Topic } }]
        """, "Fn::ForEach produces the key Topicab, which is already declared at the same level.")]
    [InlineData("""
        Resources:
          Fn::ForEach::T: [X, [A], { Topic: { Type: AWS::SNS::Topic } }]
        """, "The key Topic in Fn::ForEach::T must contain ${X} or &{X}, so each item of the collection gives its own key.")]
    [InlineData("""
        Resources:
          Fn::ForEach::T: [X, [A], { "T${X}": { Type: AWS::SNS::Topic } }]
          T: { Type: AWS::SNS::Topic }
        """, "The loop name Fn::ForEach::T conflicts with the logical ID T in the Resources section.")]
    [InlineData("""
        Resources:
          Fn::ForEach::T: [X, [A], { "A${X}": { Type: AWS::SNS::Topic } }]
        Outputs:
          Fn::ForEach::T: [X, [A], { "A${X}": { Value: x } }]
        """, "The loop name Fn::ForEach::T is used more than once in the template.")]
    [InlineData("""
        Resources:
          Fn::ForEach::T: [X, [A], { Fn::ForEach::U: [X, [B], { "A${X}": { Type: AWS::SNS::Topic } }] }]
        """, "The identifier X of Fn::ForEach::U is already the identifier of an enclosing Fn::ForEach loop.")]
    [InlineData("""
        Resources:
          Fn::ForEach::T: [X, { "A${X}": { Type: AWS::SNS::Topic } }]
        """, "Fn::ForEach layout is incorrect")]
    [InlineData("""
        Resources:
          Fn::ForEach::T: [X, !GetAtt Other.Names, { "A${X}": { Type: AWS::SNS::Topic } }]
          Other: { Type: AWS::SNS::Topic }
        """, "the collection of Fn::ForEach::T cannot be resolved before the stack's resources exist: Fn::GetAtt is evaluated only as the stack's resources are created.")]
    [InlineData("""
        Metadata:
          Fn::ForEach::T: [X, [A], { "A${X}": x }]
        Resources:
          R: { Type: AWS::SNS::Topic }
        """, "Fn::ForEach is not supported in the Metadata section; use it in Conditions, Resources or Outputs.")]
    public void A_loop_written_wrong_is_refused_in_the_transforms_words(string yaml, string message) =>
        Assert.Equal($"Transform AWS::LanguageExtensions failed with: {message}", Refused(yaml));

    [Fact]
    public void Length_counts_a_list_a_list_parameter_and_a_function_giving_a_list()
    {
        var outputs = Expanded("""
            Parameters:
              Names: { Type: CommaDelimitedList }
            Resources:
              R: { Type: AWS::SNS::Topic }
            Outputs:
              Literal: { Value: { Fn::Length: [1, !Ref R, 3] } }
              FromParameter: { Value: { Fn::Length: !Ref Names } }
              FromSplit: { Value: { Fn::Sub: ["${Count} parts", { Count: { Fn::Length: !Split ["|", "a|b|c|d"] } }] } }
            """, new() { ["Names"] = "a,b" })["Outputs"]!;
        Assert.Equal(["3", "2"], new[] { "Literal", "FromParameter" }.Select(k => outputs[k]!["Value"]!.ToJsonString()));
        Assert.Equal("""{"Fn::Sub":["${Count} parts",{"Count":4}]}""", outputs["FromSplit"]!["Value"]!.ToJsonString());
        Assert.Equal("Transform AWS::LanguageExtensions failed with: Fn::Length layout is incorrect",
            Refused("Resources:\n  R: { Type: AWS::SNS::Topic, Properties: { TopicName: { Fn::Length: abc } } }"));
    }

    [Fact]
    public void ToJsonString_writes_objects_and_arrays_with_their_functions_resolved_first()
    {
        var outputs = Expanded("""
            Parameters:
              Stage: { Type: String, Default: prod }
            Mappings:
              Sizes: { prod: { Memory: 512 } }
            Resources:
              R: { Type: AWS::SNS::Topic }
            Outputs:
              Object:
                Value:
                  Fn::ToJsonString:
                    stage: !Ref Stage
                    region: !Ref AWS::Region
                    memory: !FindInMap [Sizes, !Ref Stage, Memory]
                    note: "<é>"
                    dropped: !Ref AWS::NoValue
              Array: { Value: { Fn::ToJsonString: [a, { Fn::Length: [1, 2] }, !Split [",", "x,y"]] } }
            """)["Outputs"]!;
        Assert.Equal("""{"stage":"prod","region":"eu-west-1","memory":512,"note":"<é>"}""", (string)outputs["Object"]!["Value"]!);
        Assert.Equal("""["a",2,["x","y"]]""", (string)outputs["Array"]!["Value"]!);
        Assert.Equal("Transform AWS::LanguageExtensions failed with: Fn::ToJsonString cannot be resolved before the stack's resources exist: R is a resource.",
            Refused("Resources:\n  R: { Type: AWS::SNS::Topic }\nOutputs:\n  O: { Value: { Fn::ToJsonString: { arn: !Ref R } } }"));
        Assert.Equal("Transform AWS::LanguageExtensions failed with: Fn::ToJsonString layout is incorrect",
            Refused("Resources:\n  R: { Type: AWS::SNS::Topic }\nOutputs:\n  O: { Value: { Fn::ToJsonString: text } }"));
    }

    [Fact]
    public void FindInMap_answers_its_DefaultValue_for_an_absent_key_and_takes_functions_as_keys()
    {
        var outputs = Expanded("""
            Parameters:
              Keys: { Type: String, Default: "eu|small" }
            Mappings:
              Types: { eu: { small: t3.small } }
            Resources:
              R: { Type: AWS::SNS::Topic }
            Outputs:
              Found: { Value: !FindInMap [Types, !Select [0, !Split ["|", !Ref Keys]], small, { DefaultValue: none }] }
              Defaulted: { Value: !FindInMap [Types, !Ref AWS::Region, large, { DefaultValue: !Ref R }] }
              Computed: { Value: !FindInMap [Types, !Select [0, !Split ["|", !Ref Keys]], !Select [1, !Split ["|", !Ref Keys]]] }
              Plain: { Value: !FindInMap [Types, eu, small] }
            """)["Outputs"]!;
        Assert.Equal(["\"t3.small\"", """{"Ref":"R"}""", "\"t3.small\"", """{"Fn::FindInMap":["Types","eu","small"]}"""],
            new[] { "Found", "Defaulted", "Computed", "Plain" }.Select(k => outputs[k]!["Value"]!.ToJsonString()));
        Assert.Equal("Template error: Unable to get mapping for Types::eu::large",
            Refused("Mappings:\n  Types: { eu: { small: x } }\nResources:\n  R: { Type: AWS::SNS::Topic, Properties: { TopicName: !FindInMap [Types, !Join ['', [e, u]], large] } }"));
    }

    [Fact]
    public void Policies_and_conditions_given_by_functions_become_their_names()
    {
        var resources = Expanded("""
            Parameters:
              Policy: { Type: String, Default: Retain }
              Stage: { Type: String, Default: prod }
            Conditions:
              IsProd: !Equals [!Ref Stage, prod]
            Mappings:
              Conditions: { Kept: { Name: IsProd } }
            Resources:
              Kept:
                Type: AWS::SNS::Topic
                DeletionPolicy: !Ref Policy
                UpdateReplacePolicy: !If [IsProd, Retain, Delete]
                Condition: !FindInMap [Conditions, Kept, Name, { DefaultValue: !Ref AWS::NoValue }]
              Plain:
                Type: AWS::SNS::Topic
                DeletionPolicy: Delete
                Condition: !FindInMap [Conditions, Plain, Name, { DefaultValue: !Ref AWS::NoValue }]
            """)["Resources"]!;
        Assert.Equal("""{"Type":"AWS::SNS::Topic","DeletionPolicy":"Retain","UpdateReplacePolicy":"Retain","Condition":"IsProd"}""", resources["Kept"]!.ToJsonString());
        Assert.Equal("""{"Type":"AWS::SNS::Topic","DeletionPolicy":"Delete"}""", resources["Plain"]!.ToJsonString());
        Assert.Equal("Transform AWS::LanguageExtensions failed with: DeletionPolicy of resource R resolved to Keep; it must be one of [Delete, Retain, RetainExceptOnCreate, Snapshot].",
            Refused("Parameters:\n  P: { Type: String }\nResources:\n  R: { Type: AWS::SNS::Topic, DeletionPolicy: !Ref P }", new() { ["P"] = "Keep" }));
    }

    [Fact]
    public void Ref_and_GetAtt_take_functions_that_name_their_target()
    {
        var properties = Expanded("""
            Resources:
              Fn::ForEach::Queues:
                - Q
                - [A, B]
                - Queue${Q}: { Type: AWS::SQS::Queue }
                  Topic${Q}:
                    Type: AWS::SNS::Topic
                    Properties:
                      TopicName: !Ref { Fn::Sub: "Queue${Q}" }
                      DisplayName: !GetAtt [{ Fn::Sub: "Queue${Q}" }, Arn]
            """)["Resources"]!["TopicB"]!["Properties"]!;
        Assert.Equal("""{"TopicName":{"Ref":"QueueB"},"DisplayName":{"Fn::GetAtt":["QueueB","Arn"]}}""", properties.ToJsonString());
    }

    [Fact]
    public void Expansion_is_bounded_by_size_and_by_the_resource_quota()
    {
        Assert.Equal("The processed template exceeds 2000 bytes.", Refused("""
            Resources:
              Fn::ForEach::Many:
                - N
                - [a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q, r, s, t, u, v, w, x, y, z]
                - Fn::ForEach::More:
                    - M
                    - [a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q, r, s, t, u, v, w, x, y, z]
                    - R${N}${M}: { Type: AWS::CloudFormation::WaitConditionHandle }
            """, maxBytes: 2000));
        var items = string.Join(", ", Enumerable.Range(0, 501).Select(i => $"i{i}"));
        Assert.Equal("Template format error: Number of resources, 501, is greater than maximum allowed, 500",
            Refused($"Resources:\n  Fn::ForEach::Many: [N, [{items}], {{ \"R${{N}}\": {{ Type: AWS::CloudFormation::WaitConditionHandle }} }}]"));
    }

    [Fact]
    public void A_parameter_the_transform_needs_without_a_value_is_named()
    {
        Assert.Equal("Parameters: [Names] must have values", Refused("""
            Parameters:
              Names: { Type: CommaDelimitedList }
            Resources:
              Fn::ForEach::T: [X, !Ref Names, { "A${X}": { Type: AWS::SNS::Topic } }]
            """));
    }
}
