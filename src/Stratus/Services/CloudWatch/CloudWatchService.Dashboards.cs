using System.Text.Json;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Protocols.Json;
using Stratus.Services.CloudWatch.Engine;

namespace Stratus.Services.CloudWatch;

/// <summary>Dashboards: bodies checked as CloudWatch checks them (<see cref="DashboardBody"/>) and kept verbatim, per account.</summary>
public sealed partial class CloudWatchService
{
    private readonly ResourceTable<Dashboard> _dashboards;

    public void PutDashboard(Scope scope, string name, string body)
    {
        if (name.Length is 0 or > 255 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            throw CloudWatchErrors.InvalidValue("The value for field DashboardName contains invalid characters. It can only contain alphanumerics, dash (-) and underscore (_).");
        System.Text.Json.Nodes.JsonNode? document;
        try
        {
            document = JsonBody.Parse(body);
        }
        catch (JsonException)
        {
            throw CloudWatchErrors.DashboardInvalid("The field DashboardBody must be a valid JSON object");
        }
        var found = DashboardBody.Validate(document, _clock.GetUtcNow());
        if (found.Count > 0) throw CloudWatchErrors.DashboardInvalid(DashboardBody.ErrorMessage(found));
        _dashboards.Put(DashboardKey(scope.AccountId, name), new Dashboard(scope.AccountId, name, body, _clock.GetUtcNow()));
    }

    public Dashboard GetDashboard(Scope scope, string name) =>
        _dashboards.Get(DashboardKey(scope.AccountId, name)) ?? throw CloudWatchErrors.DashboardNotFound(name);

    public IReadOnlyList<Dashboard> ListDashboards(Scope scope, string? prefix) =>
        _dashboards.Values
            .Where(d => d.AccountId == scope.AccountId && (prefix is null || d.Name.StartsWith(prefix, StringComparison.Ordinal)))
            .OrderBy(d => d.Name, StringComparer.Ordinal).ToList();

    /// <summary>Deletes all of them or, when any is missing, none, as AWS does.</summary>
    public void DeleteDashboards(Scope scope, IReadOnlyList<string> names)
    {
        var missing = names.Where(n => _dashboards.Get(DashboardKey(scope.AccountId, n)) is null).ToList();
        if (missing.Count > 0) throw CloudWatchErrors.DashboardsNotFound(missing);
        foreach (var name in names) _dashboards.Remove(DashboardKey(scope.AccountId, name));
    }

    /// <summary>Every account's dashboards, for the console.</summary>
    public IEnumerable<Dashboard> AllDashboards() => _dashboards.Values.OrderBy(d => d.Name, StringComparer.Ordinal);

    private static string DashboardKey(string accountId, string name) => ResourceTable<Dashboard>.Key(accountId, name);
}
