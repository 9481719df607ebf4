using Stratus.Host;
using Stratus.Protocols.Query;
using Stratus.Services.CloudFormation.Macros;
using Stratus.Services.CloudFormation.Templates;

namespace Stratus.Services.CloudFormation;

/// <summary>
/// CloudFormation's wire operations (Query protocol, 2010-05-15; signing name cloudformation): request members in,
/// domain call, response shape out.
/// </summary>
public sealed partial class CloudFormationApi : IStratusService, IDisposable
{
    /// <summary>
    /// How long CreateStack, UpdateStack, DeleteStack and ExecuteChangeSet wait for their stack to settle
    /// before answering. The work runs in the background either way; waiting this little lets a quick
    /// stack (IAM resources take milliseconds) be complete at the first poll of the CLI's waiters, which
    /// otherwise sleep 30 seconds between polls. Long operations still answer in progress.
    /// </summary>
    public static readonly TimeSpan QuickOperationGrace = TimeSpan.FromSeconds(5);

    private readonly CloudFormationService _cfn;
    private readonly CostEstimatePage _costPage;

    public CloudFormationApi(CloudFormationService cfn, ILogger logger)
    {
        _cfn = cfn;
        _costPage = new CostEstimatePage(cfn);
        var operations = Operations();
        AddStackSetOperations(operations);
        AddGeneratorOperations(operations);
        AddRefactorOperations(operations);
        AddHookOperations(operations);
        AddRegistryOperations(operations);
        NotServedOperations.AddTo(operations, CloudFormationNotServed.Operations, CloudFormationErrors.NotServed);
        Endpoint = new ServiceEndpoint("cloudformation", operations,
            new AwsQueryProtocol("2010-05-15", "http://cloudformation.amazonaws.com/doc/2010-05-15/")
            {
                // The IaC generator's resource identifiers are maps in the model (entry/key/value in XML).
                Shape = new XmlShape { MapNames = new HashSet<string> { "ResourceIdentifier" } },
            })
        {
            Logger = logger,
            Validation = new ValidationStyle(TemplateError.Code),
            Rules = CloudFormationRules.Members,
        };
    }

    public string Name => "cloudformation";
    public ServiceEndpoint Endpoint { get; }
    public IReadOnlyList<StratusPage> Pages => [new(CostEstimatePage.PathPrefix, _costPage.WriteAsync)];

    private OperationTable Operations() => new()
    {
        { "ValidateTemplate", async i =>
            {
                var processed = await ProcessedTemplateOf(i);
                return TemplateFacts(CloudFormationService.ParseTemplate(processed.Body), processed.DeclaredTransforms, summary: false);
            } },
        { "GetTemplateSummary", async i =>
            {
                Template template;
                IReadOnlyList<string> declared;
                if (i.String("StackName") is { } stackName)
                    (template, declared) = _cfn.TemplateOfStack(i.Scope, stackName);
                else
                {
                    var processed = await ProcessedTemplateOf(i);
                    (template, declared) = (CloudFormationService.ParseTemplate(processed.Body), processed.DeclaredTransforms);
                }
                var facts = TemplateFacts(template, declared, summary: true);
                SetList(facts, "ResourceIdentifierSummaries", ResourceIdentifierSummaries(template));
                return facts;
            } },
        { "CreateStack", async i => await StartedOperation(_cfn.CreateStack(i.Scope, await ProcessedRequest(i, Request(i), directly: true))) },
        { "UpdateStack", async i => await StartedOperation(_cfn.UpdateStack(i.Scope,
                await ProcessedRequest(i, Request(i, templateRequired: i.Bool("UsePreviousTemplate") != true), directly: true),
                i.Bool("UsePreviousTemplate") ?? false)) },
        { "DeleteStack", i => Settled(_cfn.DeleteStack(i.Scope, i.Required("StackName"), token: i.String("ClientRequestToken")), _ => OperationResult.Empty()) },
        { "DescribeStacks", i => Paged(i, "Stacks", _cfn.DescribeStacks(i.Scope, i.String("StackName")), Stack) },
        { "ListStacks", i => Paged(i, "StackSummaries", _cfn.ListStacks(i.Scope, i.Strings("StackStatusFilter")), StackSummary) },
        { "DescribeStackEvents", i => Paged(i, "StackEvents", _cfn.Events(i.Scope, i.Required("StackName")), Event) },
        { "DescribeEvents", i => Paged(i, "OperationEvents",
            _cfn.OperationEvents(i.Scope, i.String("StackName"), i.String("ChangeSetName"), i.String("OperationId"),
                i.Object("Filters") is { } filters && i.Nested(filters).Bool("FailedEvents") == true),
            OperationEvent) },
        { "SignalResource", i => Empty(() => _cfn.SignalResource(i.Scope, i.Required("StackName"), i.Required("LogicalResourceId"),
            i.Required("UniqueId"), i.Required("Status"))) },
        { "DescribeStackResource", i =>
            {
                var (stack, resource) = _cfn.StackResource(i.Scope, i.Required("StackName"), i.Required("LogicalResourceId"));
                var detail = Resource(stack, resource);
                detail["LastUpdatedTimestamp"] = resource.Timestamp;
                detail.Remove("Timestamp");
                return new JsonObject { ["StackResourceDetail"] = detail };
            } },
        { "DescribeStackResources", i =>
            {
                var stack = i.String("StackName") is { } name
                    ? _cfn.Find(i.Scope, name)
                    : i.String("PhysicalResourceId") is { } physical
                        ? _cfn.FindByPhysicalId(i.Scope, physical)
                        : throw TemplateError.Validation("Either StackName or PhysicalResourceId must be specified.");
                var logical = i.String("LogicalResourceId");
                return new JsonObject
                {
                    ["StackResources"] = Array(_cfn.StackResources(stack).Where(r => logical is null || r.LogicalId == logical).Select(r => Resource(stack, r))),
                };
            } },
        { "ListStackResources", i =>
            {
                var stack = _cfn.Find(i.Scope, i.Required("StackName"));
                return Paged(i, "StackResourceSummaries", _cfn.StackResources(stack), ResourceSummary);
            } },
        { "GetTemplate", i =>
            {
                string processed;
                string? original;
                if (i.String("ChangeSetName") is { } changeSetName)
                {
                    var changeSet = _cfn.FindChangeSet(i.Scope, changeSetName, i.String("StackName"));
                    (processed, original) = (changeSet.TemplateBody, changeSet.OriginalTemplateBody);
                }
                else
                {
                    var stack = _cfn.Find(i.Scope, i.Required("StackName"));
                    (processed, original) = (stack.TemplateBody, stack.OriginalTemplateBody);
                }
                // Processed (the default, as in CloudFormation) is the template after its transforms; Original is as submitted.
                // Macros and AWS::Include ran once, when the template entered; SAM's pure expansion is repeated from the body.
                var stage = i.String("TemplateStage") ?? "Processed";
                if (stage is not ("Original" or "Processed"))
                    throw TemplateError.Smithy.Rejected("templateStage", stage, "Member must satisfy enum value set: [Original, Processed]");
                var body = stage == "Original" ? original ?? processed : processed.Length > 0 ? Template.Parse(processed).ProcessedBody : processed;
                return new JsonObject { ["TemplateBody"] = body, ["StagesAvailable"] = new JsonArray("Original", "Processed") };
            } },
        { "CreateChangeSet", async i =>
            {
                var changeSet = _cfn.CreateChangeSet(i.Scope, new ChangeSetRequest(
                    await ProcessedRequest(i, Request(i, templateRequired: i.Bool("UsePreviousTemplate") != true), directly: false), i.Required("ChangeSetName"),
                    i.String("ChangeSetType") ?? "UPDATE", i.String("Description"), i.Bool("UsePreviousTemplate") ?? false, ResourcesToImport(i)));
                return new JsonObject { ["Id"] = changeSet.ChangeSetId, ["StackId"] = changeSet.StackId };
            } },
        { "DescribeChangeSet", i => ChangeSet(_cfn.FindChangeSet(i.Scope, i.Required("ChangeSetName"), i.String("StackName"))) },
        { "ExecuteChangeSet", i => Settled(_cfn.ExecuteChangeSet(i.Scope, i.Required("ChangeSetName"), i.String("StackName"), i.Bool("DisableRollback"),
                i.String("ClientRequestToken")),
            _ => new JsonObject()) },
        { "DeleteChangeSet", i => Empty(() => _cfn.DeleteChangeSet(i.Scope, i.Required("ChangeSetName"), i.String("StackName"))) },
        { "ListChangeSets", i => Paged(i, "Summaries", _cfn.ListChangeSets(i.Scope, i.Required("StackName")), ChangeSetSummary) },
        { "ListExports", i => Paged(i, "Exports", _cfn.Exports(i.Scope), e => new JsonObject
            {
                ["ExportingStackId"] = e.Stack.StackId,
                ["Name"] = e.Output.ExportName,
                ["Value"] = e.Output.OutputValue,
            }) },
        { "ListImports", i => Paged(i, "Imports", _cfn.Importers(i.Scope, i.Required("ExportName")), n => JsonValue.Create(n)) },
        { "CancelUpdateStack", i => Empty(() => _cfn.CancelUpdateStack(i.Scope, i.Required("StackName"), i.String("ClientRequestToken"))) },
        { "ContinueUpdateRollback", i => Empty(() => _cfn.ContinueUpdateRollback(i.Scope, i.Required("StackName"), i.Strings("ResourcesToSkip"), i.String("ClientRequestToken"))) },
        { "RollbackStack", i => StartedOperation(_cfn.RollbackStack(i.Scope, i.Required("StackName"), i.String("ClientRequestToken"))) },
        { "DetectStackDrift", i => new JsonObject
            {
                ["StackDriftDetectionId"] = _cfn.DetectStackDrift(i.Scope, i.Required("StackName"), i.Strings("LogicalResourceIds")).DetectionId,
            } },
        { "DetectStackResourceDrift", i =>
            {
                var (stack, resource) = _cfn.DetectStackResourceDrift(i.Scope, i.Required("StackName"), i.Required("LogicalResourceId"));
                return new JsonObject { ["StackResourceDrift"] = ResourceDrift(stack, resource) };
            } },
        { "DescribeStackDriftDetectionStatus", i => DriftDetection(_cfn.DriftDetection(i.Scope, i.Required("StackDriftDetectionId"))) },
        { "DescribeStackResourceDrifts", i =>
            {
                var (stack, drifted) = _cfn.ResourceDrifts(i.Scope, i.Required("StackName"), i.Strings("StackResourceDriftStatusFilters"));
                return Paged(i, "StackResourceDrifts", drifted, r => ResourceDrift(stack, r), i.Int("MaxResults") ?? PageSize);
            } },
        { "SetStackPolicy", i => Empty(() => _cfn.SetStackPolicy(i.Scope, i.Required("StackName"),
            _cfn.StackPolicyOf(i.Scope, i.String("StackPolicyBody"), i.String("StackPolicyURL"), "StackPolicy")
                ?? throw TemplateError.Validation("Either StackPolicyBody or StackPolicyURL must be specified."))) },
        { "GetStackPolicy", i => _cfn.GetStackPolicy(i.Scope, i.Required("StackName")) is { } policy
            ? new JsonObject { ["StackPolicyBody"] = policy }
            : new JsonObject() },
        { "UpdateTerminationProtection", i => new JsonObject
            {
                // Both members are required: the model's rules refuse the call before it gets here without them.
                ["StackId"] = _cfn.UpdateTerminationProtection(i.Scope, i.Required("StackName"), i.Bool("EnableTerminationProtection") == true).StackId,
            } },
        { "DescribeAccountLimits", i => Paged(i, "AccountLimits", CloudFormationService.AccountLimits,
            l => new JsonObject { ["Name"] = l.Name, ["Value"] = l.Value }) },
        { "EstimateTemplateCost", i =>
            {
                var estimate = _cfn.SaveEstimate(i.Scope, TemplateOf(i), Parameters(i));
                return new JsonObject { ["Url"] = $"{i.Call.PublicBaseUrl}{CostEstimatePage.PathPrefix}/{estimate.Id}" };
            } },
    };

    /// <summary>Stops the stack engine with the server: running operations are cancelled and marked interrupted on the next start.</summary>
    public void Dispose() => _cfn.Dispose();

    /// <summary>The request's template: TemplateBody, or the S3 object its TemplateURL names.</summary>
    private string TemplateOf(OperationInput i) => _cfn.TemplateOf(i.Scope, i.String("TemplateBody"), i.String("TemplateURL"));

    /// <summary>The request's template (TemplateBody or TemplateURL) with its macros and AWS::Include run, once, here where it enters.</summary>
    private Task<ProcessedTemplate> ProcessedTemplateOf(OperationInput i) =>
        _cfn.Templates.ProcessAsync(i.Scope, TemplateOf(i), Parameters(i), acknowledged: null, i.Aborted);

    /// <summary>
    /// The stack request with its template processed; <paramref name="directly"/> (CreateStack, UpdateStack) needs CAPABILITY_AUTO_EXPAND
    /// acknowledged before a macro runs, as CloudFormation requires; a change set does not. UsePreviousTemplate keeps the stack's processed template.
    /// </summary>
    private async Task<StackRequest> ProcessedRequest(OperationInput i, StackRequest request, bool directly)
    {
        if (request.TemplateBody.Length == 0) return request;
        var processed = await _cfn.Templates.ProcessAsync(i.Scope, request.TemplateBody, request.Parameters,
            directly ? request.Capabilities : null, i.Aborted, _cfn.FindOrNull(i.Scope, request.StackName)?.Parameters);
        return request with { TemplateBody = processed.Body, OriginalTemplateBody = processed.OriginalBody };
    }

    private StackRequest Request(OperationInput i, bool templateRequired = true) => new(
        i.Required("StackName"),
        templateRequired ? TemplateOf(i) : i.String("TemplateBody") ?? "",
        Parameters(i),
        i.Strings("Capabilities"),
        i.Tags().Select(t => new StackTag(t.Key, t.Value)).ToList(),
        i.Bool("DisableRollback") ?? false,
        i.String("OnFailure"),
        _cfn.StackPolicyOf(i.Scope, i.String("StackPolicyBody"), i.String("StackPolicyURL"), "StackPolicy"),
        _cfn.StackPolicyOf(i.Scope, i.String("StackPolicyDuringUpdateBody"), i.String("StackPolicyDuringUpdateURL"), "StackPolicyDuringUpdate"),
        i.Bool("EnableTerminationProtection") ?? false,
        i.String("ClientRequestToken"));

    private static List<ResourceToImport> ResourcesToImport(OperationInput i) =>
        i.List("ResourcesToImport").OfType<JsonObject>().Select(r =>
        {
            var resource = i.Nested(r);
            return new ResourceToImport(resource.Required("ResourceType"), resource.Required("LogicalResourceId"), resource.StringMap("ResourceIdentifier"));
        }).ToList();

    private static List<SuppliedParameter> Parameters(OperationInput i) =>
        i.List("Parameters").OfType<JsonObject>().Select(p =>
        {
            var parameter = i.Nested(p);
            return new SuppliedParameter(parameter.Required("ParameterKey"), parameter.String("ParameterValue"), parameter.Bool("UsePreviousValue") ?? false);
        }).ToList();

    /// <summary>A started stack operation's answer once it settles a little: the stack's id and the OperationId its events carry.</summary>
    private Task<OperationResult> StartedOperation(StackRecord begun) => Settled(begun.StackId, id =>
    {
        var result = new JsonObject { ["StackId"] = id };
        if (begun.CurrentOperation is { } operation) result["OperationId"] = operation.OperationId;
        return result;
    });

    private async Task<OperationResult> Settled(string? stackId, Func<string?, OperationResult> answer)
    {
        if (stackId is not null) await _cfn.Engine.SettleAsync(stackId, QuickOperationGrace);
        return answer(stackId);
    }

    private static JsonObject Empty(Action action)
    {
        action();
        return new JsonObject();
    }

    private static JsonArray Array(IEnumerable<JsonNode?> items) => new(items.ToArray());

    /// <summary>CloudFormation's lists come 100 to a page, with a NextToken while more remain.</summary>
    private const int PageSize = 100;

    /// <summary>One page of a list operation's items, from the request's NextToken; a token it did not issue is refused as AWS refuses it.</summary>
    private static JsonObject Paged<T>(OperationInput i, string listName, IReadOnlyList<T> items, Func<T, JsonNode?> shape, int size = PageSize)
    {
        var token = i.String("NextToken");
        var (page, next) = OffsetPaging.Page(items, token, size, () => CloudFormationErrors.InvalidNextToken(token!));
        var result = new JsonObject { [listName] = Array(page.Select(shape)) };
        if (next is not null) result["NextToken"] = next;
        return result;
    }

    /// <summary>Sets a list member only when it has items: CloudFormation leaves empty lists out.</summary>
    private static void SetList(JsonObject target, string name, IEnumerable<JsonNode?> items)
    {
        var list = Array(items);
        if (list.Count > 0) target[name] = list;
    }

    private static JsonObject TemplateFacts(Template template, IReadOnlyList<string> declaredTransforms, bool summary)
    {
        var result = new JsonObject();
        SetList(result, "Parameters", template.Parameters.Select(p =>
        {
            var parameter = new JsonObject { ["ParameterKey"] = p.Name };
            if (p.Default is not null) parameter["DefaultValue"] = p.Default;
            if (summary) parameter["ParameterType"] = p.Type;
            parameter["NoEcho"] = p.NoEcho;
            if (p.Description is not null) parameter["Description"] = p.Description;
            if (summary)
                parameter["ParameterConstraints"] = p.AllowedValues is { } allowed
                    ? new JsonObject { ["AllowedValues"] = Array(allowed.Select(v => JsonValue.Create(v))) }
                    : new JsonObject();
            return parameter;
        }));
        if (template.Description is not null) result["Description"] = template.Description;
        SetList(result, "DeclaredTransforms", declaredTransforms.Select(t => JsonValue.Create(t)));
        if (TemplateCapabilities.Required(template).Capability is { } capability)
        {
            result["Capabilities"] = new JsonArray(capability);
            result["CapabilitiesReason"] = TemplateCapabilities.Reason(template);
        }
        if (summary)
        {
            result["ResourceTypes"] = Array(template.Resources.Values.Select(r => r.Type).Distinct().Select(t => JsonValue.Create(t)));
            result["Version"] = "2010-09-09";
        }
        return result;
    }

    /// <summary>For each type in the template that can be imported: its logical ids and the property that identifies one.</summary>
    private IEnumerable<JsonObject> ResourceIdentifierSummaries(Template template) =>
        template.Resources.Values.GroupBy(r => r.Type)
            .Where(g => _cfn.ImportIdentifiers.ContainsKey(g.Key))
            .Select(g => new JsonObject
            {
                ["ResourceType"] = g.Key,
                ["LogicalResourceIds"] = Array(g.Select(r => JsonValue.Create(r.LogicalId))),
                ["ResourceIdentifiers"] = new JsonArray(_cfn.ImportIdentifiers[g.Key]),
            });

    private static JsonObject Stack(StackRecord s)
    {
        var stack = new JsonObject
        {
            ["StackId"] = s.StackId,
            ["StackName"] = s.StackName,
        };
        if (s.ChangeSetId is not null) stack["ChangeSetId"] = s.ChangeSetId;
        Lineage(stack, s);
        if (s.Description is not null) stack["Description"] = s.Description;
        SetList(stack, "Parameters", s.Parameters.Select(p =>
        {
            var parameter = new JsonObject
            {
                ["ParameterKey"] = p.Key,
                ["ParameterValue"] = s.NoEchoParameters.Contains(p.Key) ? "****" : p.Value,
            };
            if (s.ResolvedParameters.TryGetValue(p.Key, out var resolved)) parameter["ResolvedValue"] = resolved;
            return parameter;
        }));
        stack["CreationTime"] = s.CreationTime;
        if (s.DeletionTime is { } deleted) stack["DeletionTime"] = deleted;
        if (s.LastUpdatedTime is { } updated) stack["LastUpdatedTime"] = updated;
        stack["RollbackConfiguration"] = new JsonObject();
        stack["StackStatus"] = s.Status;
        if (s.StatusReason is not null) stack["StackStatusReason"] = s.StatusReason;
        stack["DisableRollback"] = s.DisableRollback;
        SetList(stack, "Capabilities", s.Capabilities.Select(c => JsonValue.Create(c)));
        SetList(stack, "Outputs", s.Outputs.Select(o =>
        {
            var output = new JsonObject { ["OutputKey"] = o.OutputKey, ["OutputValue"] = o.OutputValue };
            if (o.Description is not null) output["Description"] = o.Description;
            if (o.ExportName is not null) output["ExportName"] = o.ExportName;
            return output;
        }));
        SetList(stack, "Tags", s.Tags.Select(t => new JsonObject { ["Key"] = t.Key, ["Value"] = t.Value }));
        stack["EnableTerminationProtection"] = s.EnableTerminationProtection;
        stack["DriftInformation"] = StackDriftInformation(s);
        SetList(stack, "LastOperations", LastOperations(s).Select(o => new JsonObject { ["OperationType"] = o.OperationType, ["OperationId"] = o.OperationId }));
        return stack;
    }

    /// <summary>The stack's latest operation, and the one before it when the latest is a rollback (of that one), newest first.</summary>
    private static IEnumerable<StackOperationRecord> LastOperations(StackRecord s) =>
        s.Operations.Count >= 2 && s.Operations[^1].OperationType == StackOperationType.Rollback ? [s.Operations[^1], s.Operations[^2]] : s.Operations.TakeLast(1);

    /// <summary>A nested stack's ParentId and RootId, as DescribeStacks and ListStacks show them.</summary>
    private static void Lineage(JsonObject stack, StackRecord s)
    {
        if (s.ParentId is not null) stack["ParentId"] = s.ParentId;
        if (s.RootId is not null) stack["RootId"] = s.RootId;
    }

    private static JsonObject StackSummary(StackRecord s)
    {
        var summary = new JsonObject
        {
            ["StackId"] = s.StackId,
            ["StackName"] = s.StackName,
            ["CreationTime"] = s.CreationTime,
            ["StackStatus"] = s.Status,
        };
        if (s.Description is not null) summary["TemplateDescription"] = s.Description;
        if (s.LastUpdatedTime is { } updated) summary["LastUpdatedTime"] = updated;
        if (s.DeletionTime is { } deleted) summary["DeletionTime"] = deleted;
        if (s.StatusReason is not null) summary["StackStatusReason"] = s.StatusReason;
        Lineage(summary, s);
        summary["DriftInformation"] = StackDriftInformation(s);
        return summary;
    }

    private static JsonObject Event(StackEventRecord e)
    {
        var result = new JsonObject
        {
            ["StackId"] = e.StackId,
            ["EventId"] = e.EventId,
            ["StackName"] = e.StackName,
            ["LogicalResourceId"] = e.LogicalResourceId,
            ["PhysicalResourceId"] = e.PhysicalResourceId ?? "",
            ["ResourceType"] = e.ResourceType,
            ["Timestamp"] = e.Timestamp,
            ["ResourceStatus"] = e.ResourceStatus,
        };
        if (e.ResourceStatusReason is not null) result["ResourceStatusReason"] = e.ResourceStatusReason;
        if (e.ResourceProperties is not null) result["ResourceProperties"] = e.ResourceProperties;
        if (e.ClientRequestToken is not null) result["ClientRequestToken"] = e.ClientRequestToken;
        if (e.OperationId is not null) result["OperationId"] = e.OperationId;
        return result;
    }

    /// <summary>
    /// An event as DescribeEvents shows it: STACK_EVENT for the stack's own, PROVISIONING_ERROR for a resource that failed,
    /// PROGRESS_EVENT for a resource's other steps (Stratus has no early validations or hooks, the model's other event types).
    /// </summary>
    private static JsonObject OperationEvent(OperationEvent o)
    {
        var e = o.Event;
        var result = new JsonObject
        {
            ["EventId"] = e.EventId,
            ["StackId"] = e.StackId,
            ["OperationId"] = o.Operation.OperationId,
            ["OperationType"] = o.Operation.OperationType,
            ["OperationStatus"] = o.OperationStatus,
            ["EventType"] = e.ResourceType == StackStore.StackType && e.LogicalResourceId == e.StackName ? "STACK_EVENT"
                : CloudFormationService.IsFailure(e) ? "PROVISIONING_ERROR" : "PROGRESS_EVENT",
            ["LogicalResourceId"] = e.LogicalResourceId,
            ["PhysicalResourceId"] = e.PhysicalResourceId ?? "",
            ["ResourceType"] = e.ResourceType,
            ["Timestamp"] = e.Timestamp,
            ["ResourceStatus"] = e.ResourceStatus,
        };
        if (e.ResourceStatusReason is not null) result["ResourceStatusReason"] = e.ResourceStatusReason;
        if (e.ResourceProperties is not null) result["ResourceProperties"] = e.ResourceProperties;
        if (e.ClientRequestToken is not null) result["ClientRequestToken"] = e.ClientRequestToken;
        return result;
    }

    private static JsonObject Resource(StackRecord stack, StackResourceRecord r)
    {
        var resource = new JsonObject
        {
            ["StackName"] = stack.StackName,
            ["StackId"] = stack.StackId,
            ["LogicalResourceId"] = r.LogicalId,
        };
        if (r.PhysicalId is not null) resource["PhysicalResourceId"] = r.PhysicalId;
        resource["ResourceType"] = r.Type;
        resource["Timestamp"] = r.Timestamp;
        resource["ResourceStatus"] = r.Status;
        if (r.StatusReason is not null) resource["ResourceStatusReason"] = r.StatusReason;
        resource["DriftInformation"] = ResourceDriftInformation(r);
        return resource;
    }

    private static JsonObject ResourceSummary(StackResourceRecord r)
    {
        var summary = new JsonObject { ["LogicalResourceId"] = r.LogicalId };
        if (r.PhysicalId is not null) summary["PhysicalResourceId"] = r.PhysicalId;
        summary["ResourceType"] = r.Type;
        summary["LastUpdatedTimestamp"] = r.Timestamp;
        summary["ResourceStatus"] = r.Status;
        if (r.StatusReason is not null) summary["ResourceStatusReason"] = r.StatusReason;
        summary["DriftInformation"] = ResourceDriftInformation(r);
        return summary;
    }

    private static JsonObject StackDriftInformation(StackRecord s)
    {
        var drift = new JsonObject { ["StackDriftStatus"] = s.DriftStatus };
        if (s.DriftCheckedAt is { } checkedAt) drift["LastCheckTimestamp"] = checkedAt;
        return drift;
    }

    private static JsonObject ResourceDriftInformation(StackResourceRecord r)
    {
        var drift = new JsonObject { ["StackResourceDriftStatus"] = r.Drift?.Status ?? StackDrift.NotChecked };
        if (r.Drift is { } checkedDrift) drift["LastCheckTimestamp"] = checkedDrift.Timestamp;
        return drift;
    }

    private static JsonObject ResourceDrift(StackRecord stack, StackResourceRecord r)
    {
        var drift = r.Drift ?? throw new InvalidOperationException($"Resource {r.LogicalId} has no drift check.");
        var result = new JsonObject { ["StackId"] = stack.StackId, ["LogicalResourceId"] = r.LogicalId };
        if (r.PhysicalId is not null) result["PhysicalResourceId"] = r.PhysicalId;
        result["ResourceType"] = r.Type;
        if (drift.ExpectedProperties is not null) result["ExpectedProperties"] = drift.ExpectedProperties;
        if (drift.ActualProperties is not null) result["ActualProperties"] = drift.ActualProperties;
        result["PropertyDifferences"] = Array(drift.Differences.Select(d => new JsonObject
        {
            ["PropertyPath"] = d.PropertyPath,
            ["ExpectedValue"] = d.ExpectedValue,
            ["ActualValue"] = d.ActualValue,
            ["DifferenceType"] = d.DifferenceType,
        }));
        result["StackResourceDriftStatus"] = drift.Status;
        result["Timestamp"] = drift.Timestamp;
        if (drift.Reason is not null) result["DriftStatusReason"] = drift.Reason;
        return result;
    }

    private static JsonObject DriftDetection(DriftDetectionRecord d)
    {
        var result = new JsonObject { ["StackId"] = d.StackId, ["StackDriftDetectionId"] = d.DetectionId };
        if (d.StackDriftStatus is not null) result["StackDriftStatus"] = d.StackDriftStatus;
        result["DetectionStatus"] = d.DetectionStatus;
        if (d.Reason is not null) result["DetectionStatusReason"] = d.Reason;
        if (d.DriftedResourceCount is { } count) result["DriftedStackResourceCount"] = count;
        result["Timestamp"] = d.Timestamp;
        return result;
    }

    private static JsonObject ChangeSet(ChangeSetRecord c)
    {
        var result = ChangeSetSummary(c);
        SetList(result, "Parameters", c.Parameters.Select(p => new JsonObject { ["ParameterKey"] = p.Key, ["ParameterValue"] = p.Value }));
        SetList(result, "Capabilities", c.Capabilities.Select(x => JsonValue.Create(x)));
        SetList(result, "Tags", c.Tags.Select(t => new JsonObject { ["Key"] = t.Key, ["Value"] = t.Value }));
        result["Changes"] = Array(c.Changes.Select(change =>
        {
            var resourceChange = new JsonObject
            {
                ["Action"] = change.Action,
                ["LogicalResourceId"] = change.LogicalResourceId,
            };
            if (change.PhysicalResourceId is not null) resourceChange["PhysicalResourceId"] = change.PhysicalResourceId;
            resourceChange["ResourceType"] = change.ResourceType;
            if (change.Replacement is not null) resourceChange["Replacement"] = change.Replacement;
            resourceChange["Scope"] = change.ChangedProperties.Count > 0 ? new JsonArray("Properties") : new JsonArray();
            resourceChange["Details"] = Array(change.ChangedProperties.Select(p => new JsonObject
            {
                ["Target"] = new JsonObject { ["Attribute"] = "Properties", ["Name"] = p, ["RequiresRecreation"] = "Conditionally" },
                ["Evaluation"] = "Static",
                ["ChangeSource"] = "DirectModification",
            }));
            return new JsonObject { ["Type"] = "Resource", ["ResourceChange"] = resourceChange };
        }));
        return result;
    }

    private static JsonObject ChangeSetSummary(ChangeSetRecord c)
    {
        var summary = new JsonObject
        {
            ["StackId"] = c.StackId,
            ["StackName"] = c.StackName,
            ["ChangeSetId"] = c.ChangeSetId,
            ["ChangeSetName"] = c.ChangeSetName,
            ["ExecutionStatus"] = c.ExecutionStatus,
            ["Status"] = c.Status,
        };
        if (c.StatusReason is not null) summary["StatusReason"] = c.StatusReason;
        summary["CreationTime"] = c.CreationTime;
        if (c.Description is not null) summary["Description"] = c.Description;
        summary["IncludeNestedStacks"] = false;
        return summary;
    }
}
