using Stratus.Protocols;

namespace Stratus.Services.RdsData;

/// <summary>
/// The Data API's member constraints, declared once: the published model's (RdsDataRules.json, written by
/// scripts/member-rules.py), answered as BadRequestException in the "1 validation error detected" wording before an
/// operation runs (an ARN shorter than 11 characters, SQL longer than 64 KB).
/// </summary>
public static class RdsDataRules
{
    public static readonly MemberRules Members = MemberRules.Embedded("Stratus.Rules.RdsDataRules.json");

    /// <summary>The most a response may carry (AWS's troubleshooting guide: 1 MiB of result set).</summary>
    public const int MaxResponseBytes = 1024 * 1024;

    /// <summary>The most one row of a result set may hold as the database returns it (AWS's Data API limits: 64 KB per row).</summary>
    public const int MaxRowBytes = 64 * 1024;

    /// <summary>A statement runs at most 45 seconds before the call answers StatementTimeoutException (continueAfterTimeout lets it run on).</summary>
    public static readonly TimeSpan StatementTimeout = TimeSpan.FromSeconds(45);

    /// <summary>A transaction no call has used for three minutes is rolled back, as on AWS.</summary>
    public static readonly TimeSpan TransactionIdleTimeout = TimeSpan.FromMinutes(3);

    /// <summary>A transaction lives at most 24 hours, as on AWS.</summary>
    public static readonly TimeSpan TransactionMaxLifetime = TimeSpan.FromHours(24);

    /// <summary>How deep a Field's arrayValue may nest before it is refused (every recursive reader is bounded).</summary>
    public const int MaxArrayDepth = 8;
}
