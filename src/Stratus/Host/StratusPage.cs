using Microsoft.AspNetCore.Http;

namespace Stratus.Host;

/// <summary>A page for people that Stratus serves on GET under /_stratus/ (the built-in console), beside the AWS APIs.</summary>
public interface IStratusPage
{
    /// <summary>The paths it answers, e.g. "/_stratus/" and "/_stratus".</summary>
    IReadOnlyList<string> Paths { get; }

    Task WriteAsync(HttpContext http);
}
