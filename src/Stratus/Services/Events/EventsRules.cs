using Stratus.Protocols;

namespace Stratus.Services.Events;

/// <summary>EventBridge's member rules, declared once from the published model (EventsRules.json, written by scripts/member-rules.py).</summary>
public static class EventsRules
{
    public static readonly MemberRules Members = MemberRules.Embedded("Stratus.Rules.EventsRules.json");

    /// <summary>The page size a request's Limit asks for; EventBridge's largest (100) when absent.</summary>
    public static int PageSize(int? limit) => limit ?? 100;

    public static (IReadOnlyList<T> Page, string? Next) Page<T>(IReadOnlyList<T> items, string? token, int? limit) =>
        OffsetPaging.Page(items, token, PageSize(limit), EventsErrors.InvalidNextToken);
}
