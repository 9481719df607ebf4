using System.Globalization;
using System.Text;
using Stratus.Protocols;
using Stratus.Services.CloudFormation;
using static Stratus.WebConsole.ConsoleHtml;

namespace Stratus.WebConsole;

/// <summary>
/// The console's CloudFormation section: each stack's status, its resources (physical ids linked to the section that
/// shows the resource, see <see cref="ConsoleAnchor.ForResource"/>), its outputs and its events as a timeline, newest
/// first as DescribeStackEvents lists them, coloured by status. Read from CloudFormationService.
/// </summary>
public sealed class StackConsole(CloudFormationService cloudFormation) : IConsoleSection
{
    /// <summary>Events shown per stack; the rest are one `aws cloudformation describe-stack-events` away.</summary>
    public const int ShownEvents = 100;

    public IEnumerable<(string AccountId, string Region)> Scopes() =>
        cloudFormation.AllStacks().Where(s => !s.IsDeleted).Select(s => (s.AccountId, s.Region));

    public void Render(StringBuilder html, string account, string region)
    {
        var scope = Scope.Of(account, region);
        var stacks = cloudFormation.DescribeStacks(scope, null);
        if (stacks.Count == 0) return;
        html.Append("<h3>CloudFormation stacks</h3>");
        foreach (var stack in stacks)
        {
            CardHead(html, ConsoleAnchor.Stack, stack.StackName, account, region, stack.StackId,
                $"""{E(stack.StackName)} · <span class="{StatusClass(stack.Status)}">{E(stack.Status)}</span>""");
            if (stack.StatusReason is { Length: > 0 } reason) html.Append(CultureInfo.InvariantCulture, $"<p class=\"muted\">{E(reason)}</p>");
            RenderResources(html, account, region, cloudFormation.StackResources(stack));
            RenderOutputs(html, stack.Outputs);
            RenderEvents(html, cloudFormation.Events(scope, stack.StackId));
            html.Append("</div>");
        }
    }

    private static void RenderResources(StringBuilder html, string account, string region, IReadOnlyList<StackResourceRecord> resources)
    {
        if (resources.Count == 0) return;
        html.Append("<h4>Resources</h4><table><tr><th>logical id</th><th>type</th><th>physical id</th><th>status</th><th>reason</th></tr>");
        foreach (var resource in resources)
        {
            var physical = resource.PhysicalId is null ? ""
                : ConsoleAnchor.ForResource(resource.Type, account, region, resource.PhysicalId) is { } anchor
                    ? $"<a href=\"{ConsoleAnchor.Href(anchor)}\">{E(resource.PhysicalId)}</a>"
                    : E(resource.PhysicalId);
            html.Append(CultureInfo.InvariantCulture,
                $"""<tr data-resource="{E(resource.LogicalId)}"><td>{E(resource.LogicalId)}</td><td>{E(resource.Type)}</td><td>{physical}</td><td class="{StatusClass(resource.Status)}">{E(resource.Status)}</td><td>{E(resource.StatusReason ?? "")}</td></tr>""");
        }
        html.Append("</table>");
    }

    private static void RenderOutputs(StringBuilder html, IReadOnlyList<StackOutput> outputs)
    {
        if (outputs.Count == 0) return;
        html.Append("<h4>Outputs</h4><table><tr><th>key</th><th>value</th><th>description</th><th>export</th></tr>");
        foreach (var output in outputs)
            html.Append(CultureInfo.InvariantCulture,
                $"""<tr data-output="{E(output.OutputKey)}"><td>{E(output.OutputKey)}</td><td><code>{E(output.OutputValue)}</code></td><td>{E(output.Description ?? "")}</td><td>{E(output.ExportName ?? "")}</td></tr>""");
        html.Append("</table>");
    }

    private static void RenderEvents(StringBuilder html, IReadOnlyList<StackEventRecord> events)
    {
        if (events.Count == 0) return;
        html.Append("<h4>Events</h4><ol class=\"timeline\">");
        foreach (var stackEvent in events.Take(ShownEvents))
            html.Append(CultureInfo.InvariantCulture,
                $"""<li class="{StatusClass(stackEvent.ResourceStatus)}" data-event="{E(stackEvent.LogicalResourceId)}"><span class="muted">{stackEvent.Timestamp.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC</span> {E(stackEvent.LogicalResourceId)} <span class="muted">{E(stackEvent.ResourceType)}</span> <b>{E(stackEvent.ResourceStatus)}</b>{(stackEvent.ResourceStatusReason is { Length: > 0 } reason ? " · " + E(reason) : "")}</li>""");
        html.Append("</ol>");
        if (events.Count > ShownEvents)
            html.Append(CultureInfo.InvariantCulture, $"<p class=\"muted\">The newest {ShownEvents} of {events.Count} events; the rest with aws cloudformation describe-stack-events.</p>");
    }

    /// <summary>The colour CloudFormation's console gives a status: red for failures, amber for rollbacks, green when complete, blue in progress.</summary>
    public static string StatusClass(string status) =>
        status.EndsWith("_FAILED", StringComparison.Ordinal) ? "status-failed"
        : status.Contains("ROLLBACK", StringComparison.Ordinal) ? "status-rollback"
        : status.EndsWith("_COMPLETE", StringComparison.Ordinal) ? "status-complete"
        : "status-progress";
}
