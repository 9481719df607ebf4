using Stratus.Protocols;

namespace Stratus.Services.Logs;

/// <summary>
/// CloudWatch Logs' member constraints, declared once: the published model's (LogsRules.json, written by
/// scripts/member-rules.py). The wire checks every operation's input against them before it runs.
/// </summary>
public static class LogsRules
{
    public static readonly MemberRules Members = MemberRules.Embedded("Stratus.Rules.LogsRules.json");
}
