namespace Stratus.Services.Logs;

/// <summary>
/// Where services write log events as AWS services do (Lambda's /aws/lambda/NAME groups): the group and
/// stream are created when missing. Callers are on invoke paths: implementations must return at once.
/// </summary>
public interface ILogWriter
{
    void Append(string accountId, string region, string logGroup, string logStream, IReadOnlyList<LogLine> lines);
}

public readonly record struct LogLine(DateTimeOffset Timestamp, string Message);
