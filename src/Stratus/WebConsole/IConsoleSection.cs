using System.Text;

namespace Stratus.WebConsole;

/// <summary>One section of the console, rendered inside each account and region's part of the page from a service's domain objects.</summary>
public interface IConsoleSection
{
    /// <summary>The accounts and regions that hold something this section shows.</summary>
    IEnumerable<(string AccountId, string Region)> Scopes();

    void Render(StringBuilder html, string account, string region);
}
