using System.Text.Json.Nodes;
using System.Collections.Concurrent;
using Stratus.Protocols;
using Stratus.Services.CloudFormation;
using Stratus.Services.CloudFormation.Engine;
using Stratus.Services.CloudFormation.Templates;

namespace Stratus.Tests.Services.CloudFormation;

/// <summary>The template engine on its own: reading YAML/JSON, intrinsic functions, parameters, conditions and the dependency graph.</summary>
public sealed class TemplateEngineTests
{
    private static readonly PseudoParameters Pseudo = new("123456789012", "eu-west-1", "demo", "arn:aws:cloudformation:eu-west-1:123456789012:stack/demo/guid");

    private static TemplateEvaluator Evaluator(Template template, Dictionary<string, string>? parameters = null,
        Dictionary<string, ResourceValues>? resources = null, Dictionary<string, string>? exports = null) =>
        new(template, parameters ?? ParameterDefinition.Resolve(template, [], null), Pseudo,
            id => resources?.GetValueOrDefault(id), name => exports?.GetValueOrDefault(name));

    private static AwsException Refused(Action action)
    {
        var error = Assert.Throws<AwsException>(action);
        Assert.Equal("ValidationError", error.Code);
        return error;
    }

    [Fact]
    public void Every_yaml_short_form_becomes_its_long_form()
    {
        var root = TemplateReader.Parse("""
            A: !Ref Param
            B: !Sub "${AWS::Region}-x"
            C: !GetAtt Role.Arn
            D: !GetAtt Role.Endpoint.Address
            E: !Join [",", [a, b]]
            F: !Select [0, [a]]
            G: !Split [",", "a,b"]
            H: !If [Cond, yes, no]
            I: !Equals [a, b]
            J: !And [!Condition X, !Condition Y]
            K: !Or [!Condition X, !Condition Y]
            L: !Not [!Condition X]
            M: !FindInMap [Map, Top, Second]
            N: !GetAZs ""
            O: !Base64 text
            P: !ImportValue exported
            Q: !Cidr ["10.0.0.0/16", 2, 8]
            R: 42
            S: "42"
            T: true
            U: 1.10
            """);

        Assert.Equal("""{"Ref":"Param"}""", root["A"]!.ToJsonString());
        Assert.Equal("""{"Fn::Sub":"${AWS::Region}-x"}""", root["B"]!.ToJsonString());
        Assert.Equal("""{"Fn::GetAtt":["Role","Arn"]}""", root["C"]!.ToJsonString());
        Assert.Equal("""{"Fn::GetAtt":["Role","Endpoint.Address"]}""", root["D"]!.ToJsonString());
        Assert.Equal("""{"Fn::Join":[",",["a","b"]]}""", root["E"]!.ToJsonString());
        Assert.Equal("""{"Fn::Select":[0,["a"]]}""", root["F"]!.ToJsonString());
        Assert.Equal("""{"Fn::Split":[",","a,b"]}""", root["G"]!.ToJsonString());
        Assert.Equal("""{"Fn::If":["Cond","yes","no"]}""", root["H"]!.ToJsonString());
        Assert.Equal("""{"Fn::Equals":["a","b"]}""", root["I"]!.ToJsonString());
        Assert.Equal("""{"Fn::And":[{"Condition":"X"},{"Condition":"Y"}]}""", root["J"]!.ToJsonString());
        Assert.Equal("""{"Fn::Or":[{"Condition":"X"},{"Condition":"Y"}]}""", root["K"]!.ToJsonString());
        Assert.Equal("""{"Fn::Not":[{"Condition":"X"}]}""", root["L"]!.ToJsonString());
        Assert.Equal("""{"Fn::FindInMap":["Map","Top","Second"]}""", root["M"]!.ToJsonString());
        Assert.Equal("""{"Fn::GetAZs":""}""", root["N"]!.ToJsonString());
        Assert.Equal("""{"Fn::Base64":"text"}""", root["O"]!.ToJsonString());
        Assert.Equal("""{"Fn::ImportValue":"exported"}""", root["P"]!.ToJsonString());
        Assert.Equal("""{"Fn::Cidr":["10.0.0.0/16",2,8]}""", root["Q"]!.ToJsonString());
        Assert.Equal("42", root["R"]!.ToJsonString());
        Assert.Equal("\"42\"", root["S"]!.ToJsonString());
        Assert.Equal("true", root["T"]!.ToJsonString());
        Assert.Equal("\"1.10\"", root["U"]!.ToJsonString());
    }

    private const string FunctionsTemplate = """
        Parameters:
          Names: {Type: CommaDelimitedList, Default: "a, b ,c"}
          Count: {Type: Number, Default: 2}
          Env: {Type: String, Default: prod}
        Mappings:
          Sizes:
            prod: {Memory: 512}
        Conditions:
          IsProd: !Equals [!Ref Env, prod]
          NotProd: !Not [!Condition IsProd]
          Both: !And [!Condition IsProd, !Equals [!Ref Count, 2]]
          Any: !Or [!Condition NotProd, !Equals [x, y]]
        Resources:
          Role:
            Type: AWS::IAM::Role
            Properties:
              Values:
                Ref: !Ref Names
                Join: !Join ["|", !Ref Names]
                Select: !Select [2, !Ref Names]
                Split: !Split ["/", "x/y"]
                Sub: !Sub "${AWS::StackName}/${AWS::Region}/${AWS::AccountId}/${AWS::Partition}/${AWS::URLSuffix}/${Count}/${!Kept}"
                SubMap: !Sub ["${A}-${Other.Arn}", {A: !Ref Env}]
                StackId: !Ref AWS::StackId
                GetAtt: !GetAtt Other.Arn
                GetAttLong: {"Fn::GetAtt": [Other, Arn]}
                RefResource: !Ref Other
                If: !If [IsProd, on, off]
                IfNoValue: !If [NotProd, x, !Ref AWS::NoValue]
                NoValueInList: [a, !Ref AWS::NoValue, b]
                Both: !If [Both, yes, no]
                Any: !If [Any, yes, no]
                Map: !FindInMap [Sizes, !Ref Env, Memory]
                AZs: !GetAZs ""
                AZsOther: !Select [1, !GetAZs us-west-2]
                Base64: !Base64 "hi there"
                Import: !ImportValue shared
                Cidr: !Cidr ["10.1.0.0/16", 3, 8]
                CidrSmall: !Cidr ["192.168.0.0/24", 2, 4]
                EqualsValue: !Equals [a, a]
          Other:
            Type: AWS::IAM::Role
        """;

    [Fact]
    public void Every_intrinsic_function_evaluates_as_CloudFormation_does()
    {
        var template = Template.Parse(FunctionsTemplate);
        var evaluator = Evaluator(template,
            resources: new() { ["Other"] = new ResourceValues("other-role", new Dictionary<string, string> { ["Arn"] = "arn:aws:iam::123456789012:role/other-role" }) },
            exports: new() { ["shared"] = "exported-value" });

        var values = evaluator.Evaluate(template.Resources["Role"].Properties["Values"])!.AsObject();

        Assert.Equal("""["a","b","c"]""", values["Ref"]!.ToJsonString());
        Assert.Equal("a|b|c", (string?)values["Join"]);
        Assert.Equal("c", (string?)values["Select"]);
        Assert.Equal("""["x","y"]""", values["Split"]!.ToJsonString());
        Assert.Equal("demo/eu-west-1/123456789012/aws/amazonaws.com/2/${Kept}", (string?)values["Sub"]);
        Assert.Equal("prod-arn:aws:iam::123456789012:role/other-role", (string?)values["SubMap"]);
        Assert.Equal(Pseudo.StackId, (string?)values["StackId"]);
        Assert.Equal("arn:aws:iam::123456789012:role/other-role", (string?)values["GetAtt"]);
        Assert.Equal("arn:aws:iam::123456789012:role/other-role", (string?)values["GetAttLong"]);
        Assert.Equal("other-role", (string?)values["RefResource"]);
        Assert.Equal("on", (string?)values["If"]);
        Assert.False(values.ContainsKey("IfNoValue"));
        Assert.Equal("""["a","b"]""", values["NoValueInList"]!.ToJsonString());
        Assert.Equal("yes", (string?)values["Both"]);
        Assert.Equal("no", (string?)values["Any"]);
        Assert.Equal("512", values["Map"]!.ToJsonString());
        Assert.Equal("""["eu-west-1a","eu-west-1b","eu-west-1c"]""", values["AZs"]!.ToJsonString());
        Assert.Equal("us-west-2b", (string?)values["AZsOther"]);
        Assert.Equal("aGkgdGhlcmU=", (string?)values["Base64"]);
        Assert.Equal("exported-value", (string?)values["Import"]);
        Assert.Equal("""["10.1.0.0/24","10.1.1.0/24","10.1.2.0/24"]""", values["Cidr"]!.ToJsonString());
        Assert.Equal("""["192.168.0.0/28","192.168.0.16/28"]""", values["CidrSmall"]!.ToJsonString());
        Assert.Equal("true", values["EqualsValue"]!.ToJsonString());
    }

    [Fact]
    public void Json_templates_evaluate_the_same_long_forms()
    {
        var template = Template.Parse("""
            {"Parameters": {"P": {"Type": "String", "Default": "v"}},
             "Resources": {"R": {"Type": "AWS::IAM::Role", "Properties": {"X": {"Fn::Join": ["-", [{"Ref": "P"}, {"Fn::Sub": "${AWS::Region}"}]]}}}}}
            """);
        Assert.Equal("v-eu-west-1", Evaluator(template).EvaluateString(template.Resources["R"].Properties["X"], "test"));
    }

    [Fact]
    public void Importing_an_export_nobody_made_fails()
    {
        var template = Template.Parse("Resources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n      X: !ImportValue missing\n");
        Assert.Equal("No export named missing found.", Refused(() => Evaluator(template).Evaluate(template.Resources["R"].Properties)).Message);
    }

    [Theory]
    [InlineData("Resources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n      X: [a, b\n", "Template format error: YAML not well-formed. (line 6, column 1)")]
    [InlineData("Resources:\n  R:\n  Type: x\n bad: 1\n", "Template format error: YAML not well-formed. (line 4, column 2)")]
    [InlineData("{\"Resources\": {\"R\": {\"Type\": \"AWS::IAM::Role\",}}}", "Template format error: JSON not well-formed. (line 1, column 47)")]
    [InlineData("{\n  \"Resources\": {\n    \"R\": {\"Type\" \"AWS::IAM::Role\"}\n  }\n}", "Template format error: JSON not well-formed. (line 3, column 18)")]
    public void Malformed_templates_say_where(string body, string message)
    {
        Assert.Equal(message, Refused(() => Template.Parse(body)).Message);
    }

    [Theory]
    [InlineData("Resources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n      X: !Ref Nowhere\n", "Template format error: Unresolved resource dependencies [Nowhere] in the Resources block of the template")]
    [InlineData("Resources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n      X: !Frobnicate a\n", "Template format error: Encountered unsupported function: Fn::Frobnicate")]
    [InlineData("Resources:\n  R:\n    Type: AWS::IAM::Role\n    DependsOn: Ghost\n", "Template format error: Unresolved resource dependencies [Ghost] in the Resources block of the template")]
    [InlineData("Resources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n      X: !GetAtt Ghost.Arn\n", "Template error: instance of Fn::GetAtt references undefined resource Ghost")]
    [InlineData("Resources:\n  A:\n    Type: AWS::IAM::Role\n    Properties:\n      X: !GetAtt B.Arn\n  B:\n    Type: AWS::IAM::Role\n    Properties:\n      X: !Sub \"${C}\"\n  C:\n    Type: AWS::IAM::Role\n    DependsOn: A\n", "Template format error: Circular dependency between resources: [A, B, C]")]
    [InlineData("Resources: {}\n", "Template format error: At least one Resources member must be defined.")]
    [InlineData("Resources:\n  R:\n    Properties: {}\n", "Template format error: [/Resources/R] Every Resources object must contain a Type member.")]
    [InlineData("Foo: 1\nResources:\n  R:\n    Type: AWS::IAM::Role\n", "Template format error: Invalid template property or properties [Foo]")]
    [InlineData("Parameters:\n  P:\n    Type: Strng\nResources:\n  R:\n    Type: AWS::IAM::Role\n", "Template format error: Unrecognized parameter type: Strng")]
    [InlineData("Resources:\n  R:\n    Type: AWS::IAM::Role\n    Condition: Missing\n", "Template format error: Unresolved dependencies [Missing]. Cannot reference resources in the Conditions block of the template")]
    public void Templates_with_dangling_names_cycles_or_unknown_functions_are_refused(string body, string messageStart)
    {
        Assert.StartsWith(messageStart, Refused(() => Template.Parse(body)).Message);
    }

    private const string ConstrainedParameters = """
        Parameters:
          Name: {Type: String, AllowedPattern: "[a-z]+", MinLength: 2, MaxLength: 5}
          Size: {Type: Number, MinValue: 1, MaxValue: 10, Default: 5}
          Color: {Type: String, AllowedValues: [red, green], Default: red}
          Sizes: {Type: List<Number>, Default: "1,2"}
          Code: {Type: String, AllowedPattern: "[0-9]+", ConstraintDescription: digits only, Default: "1"}
        Resources:
          R: {Type: AWS::IAM::Role}
        """;

    [Theory]
    [InlineData("Name=abc", null)]
    [InlineData("", "Parameters: [Name] must have values")]
    [InlineData("Name=abc;Extra=1", "Parameters: [Extra] do not exist in the template")]
    [InlineData("Name=ABC", "Parameter 'Name' must match pattern [a-z]+")]
    [InlineData("Name=a", "Parameter 'Name' must contain at least 2 characters")]
    [InlineData("Name=abcdef", "Parameter 'Name' must contain at most 5 characters")]
    [InlineData("Name=abc;Size=0", "Parameter 'Size' must be a number not less than 1")]
    [InlineData("Name=abc;Size=11", "Parameter 'Size' must be a number not greater than 10")]
    [InlineData("Name=abc;Size=big", "Parameter 'Size' must be a number")]
    [InlineData("Name=abc;Color=blue", "Parameter 'Color' must be one of AllowedValues")]
    [InlineData("Name=abc;Sizes=1,x", "Parameter 'Sizes' must be a number")]
    [InlineData("Name=abc;Code=x1", "Parameter 'Code' failed to satisfy constraint: digits only")]
    public void Parameter_values_are_checked_against_type_and_constraints(string supplied, string? error)
    {
        var template = Template.Parse(ConstrainedParameters);
        var parameters = supplied.Split(';', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2)).Select(p => new SuppliedParameter(p[0], p[1], false)).ToList();
        if (error is null)
        {
            var values = ParameterDefinition.Resolve(template, parameters, null);
            Assert.Equal("abc", values["Name"]);
            Assert.Equal("5", values["Size"]);
            Assert.Equal("""["1","2"]""", template.Parameter("Sizes")!.Typed(values["Sizes"]).ToJsonString());
        }
        else Assert.Equal(error, Refused(() => ParameterDefinition.Resolve(template, parameters, null)).Message);
    }

    [Fact]
    public void Use_previous_value_takes_the_stacks_value()
    {
        var template = Template.Parse(ConstrainedParameters);
        var values = ParameterDefinition.Resolve(template, [new SuppliedParameter("Name", null, true)], new Dictionary<string, string> { ["Name"] = "old" });
        Assert.Equal("old", values["Name"]);
    }

    [Fact]
    public void The_graph_orders_dependencies_from_Ref_GetAtt_Sub_and_DependsOn()
    {
        var template = Template.Parse("""
            Resources:
              D:
                Type: AWS::IAM::Role
                DependsOn: [B, C]
              C:
                Type: AWS::IAM::Role
                Properties: {X: !Sub "${A.Arn}"}
              B:
                Type: AWS::IAM::Role
                Properties: {X: !Ref A, Y: !Ref AWS::Region}
              A:
                Type: AWS::IAM::Role
              E:
                Type: AWS::IAM::Role
                Properties: {X: !GetAtt D.Arn}
            """);
        Assert.Equal(["A", "B", "C", "D", "E"], template.Dependencies.Order);
        Assert.Equal(["B", "C"], template.Dependencies.DependenciesOf("D").Order());
        Assert.Equal(["B", "C"], template.Dependencies.DependentsOf("A").Order());
    }

    [Fact]
    public async Task Independent_resources_run_in_parallel_and_dependents_wait()
    {
        var template = Template.Parse("""
            Resources:
              Left: {Type: AWS::IAM::Role}
              Right: {Type: AWS::IAM::Role}
              Top:
                Type: AWS::IAM::Role
                DependsOn: [Left, Right]
            """);
        var running = 0;
        var maxRunning = 0;
        var finished = new ConcurrentQueue<string>();
        var failed = await StackEngine.RunInOrder(template.Resources.Keys.ToList(), id => template.Dependencies.DependenciesOf(id), stopOnFailure: true,
            async id =>
            {
                var now = Interlocked.Increment(ref running);
                lock (finished) maxRunning = Math.Max(maxRunning, now);
                await Task.Delay(200);
                Interlocked.Decrement(ref running);
                finished.Enqueue(id);
                return true;
            });
        Assert.Empty(failed);
        Assert.Equal(2, maxRunning);
        Assert.Equal("Top", finished.Last());
    }

    [Fact]
    public async Task After_a_failure_nothing_new_starts_but_deletes_carry_on()
    {
        var ids = new[] { "A", "B", "C" };
        IEnumerable<string> Chain(string id) => id switch { "B" => ["A"], "C" => ["B"], _ => [] };
        var started = new ConcurrentBag<string>();
        var failed = await StackEngine.RunInOrder(ids, Chain, stopOnFailure: true, id =>
        {
            started.Add(id);
            return Task.FromResult(id != "A");
        });
        Assert.Equal(["A"], failed);
        Assert.Equal(["A"], started.ToArray());
    }

    [Fact]
    public void Iam_resources_need_capabilities_and_named_ones_the_named_capability()
    {
        var unnamed = Template.Parse("Resources:\n  R:\n    Type: AWS::IAM::Role\n");
        var named = Template.Parse("Resources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n      RoleName: fixed\n");
        var error = Assert.Throws<AwsException>(() => TemplateCapabilities.Check(unnamed, []));
        Assert.Equal(("InsufficientCapabilitiesException", "Requires capabilities : [CAPABILITY_IAM]"), (error.Code, error.Message));
        TemplateCapabilities.Check(unnamed, ["CAPABILITY_IAM"]);
        Assert.Equal("Requires capabilities : [CAPABILITY_NAMED_IAM]", Assert.Throws<AwsException>(() => TemplateCapabilities.Check(named, ["CAPABILITY_IAM"])).Message);
        TemplateCapabilities.Check(named, ["CAPABILITY_NAMED_IAM"]);
    }

    [Fact]
    public void Yaml_aliases_are_refused_as_aws_does_so_billion_laughs_cannot_expand()
    {
        var laughs = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
            + string.Concat(Enumerable.Range(1, 8).Select(i => $"{(char)('a' + i)}: &{(char)('a' + i)} [*{(char)('a' + i - 1)},*{(char)('a' + i - 1)},*{(char)('a' + i - 1)},*{(char)('a' + i - 1)},*{(char)('a' + i - 1)},*{(char)('a' + i - 1)},*{(char)('a' + i - 1)},*{(char)('a' + i - 1)},*{(char)('a' + i - 1)}]\n"));
        Assert.Equal("Template error: YAML aliases are not allowed in CloudFormation templates", Refused(() => TemplateReader.Parse(laughs)).Message);
    }

    [Theory]
    [InlineData("Resources: ", "[", "]")]
    [InlineData("Resources: ", "{a: ", "}")]
    [InlineData("{\"Resources\": ", "[", "]")]
    public void Templates_nested_past_the_depth_limit_are_format_errors(string prefix, string open, string close)
    {
        var body = prefix + string.Concat(Enumerable.Repeat(open, 20_000)) + "1" + string.Concat(Enumerable.Repeat(close, 20_000)) + (prefix.StartsWith('{') ? "}" : "");
        Assert.StartsWith("Template format error:", Refused(() => TemplateReader.Parse(body)).Message);
    }

    [Fact]
    public void Json_templates_with_repeated_members_are_format_errors() =>
        Assert.StartsWith("Template format error: JSON not well-formed", Refused(() => TemplateReader.Parse("{\"Resources\":{},\"Resources\":{}}")).Message);

    [Fact]
    public void Intrinsics_building_text_past_the_bound_are_refused()
    {
        var template = Template.Parse("""
            Parameters:
              Big: { Type: String }
            Resources:
              Topic:
                Type: AWS::SNS::Topic
                Properties:
                  Name: !Join ["", [!Ref Big, !Ref Big, !Ref Big, !Ref Big, !Ref Big, !Ref Big, !Ref Big, !Ref Big]]
            """);
        var evaluator = Evaluator(template, new Dictionary<string, string> { ["Big"] = new string('x', 4096) });
        var name = template.Resources["Topic"].Properties["Name"];
        var error = Refused(() =>
        {
            for (var i = 0; i < TemplateEvaluator.MaxProducedCharacters / (8 * 4096) + 1; i++) evaluator.Evaluate(name);
        });
        Assert.Contains("Fn::Join", error.Message);
    }

    [Fact]
    public void Conditions_chained_past_the_bound_are_refused_without_exhausting_the_stack()
    {
        var conditions = new JsonObject();
        for (var i = 0; i < 5_000; i++) conditions[$"C{i}"] = new JsonObject { ["Condition"] = $"C{i + 1}" };
        conditions["C5000"] = new JsonObject { ["Fn::Equals"] = new JsonArray("a", "a") };
        var body = new JsonObject { ["Conditions"] = conditions, ["Resources"] = new JsonObject { ["T"] = new JsonObject { ["Type"] = "AWS::Logs::LogGroup", ["Condition"] = "C0" } } };
        var template = Template.Parse(body.ToJsonString());
        Assert.Contains("more than 200 deep", Refused(() => Evaluator(template).Condition("C0")).Message);
        Assert.True(Evaluator(template).Condition("C4900"));
    }
}
