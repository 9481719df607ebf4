using System.Collections;
using System.Text.Json.Nodes;

namespace Stratus.Protocols;

public delegate Task<OperationResult> OperationHandler(OperationInput input);

/// <summary>A service's operations by name, whichever protocol carried the call.</summary>
public sealed class OperationTable : IEnumerable<KeyValuePair<string, OperationHandler>>
{
    private readonly Dictionary<string, OperationHandler> _operations = new(StringComparer.Ordinal);

    public void Add(string name, Func<OperationInput, JsonObject?> operation) =>
        _operations.Add(name, input => Task.FromResult(operation(input) is { } body ? new OperationResult { Body = body } : OperationResult.Empty()));

    public void Add(string name, Func<OperationInput, OperationResult> operation) =>
        _operations.Add(name, input => Task.FromResult(operation(input)));

    public void Add(string name, Func<OperationInput, Task<OperationResult>> operation) =>
        _operations.Add(name, input => operation(input));

    public OperationHandler? Find(string name) => _operations.GetValueOrDefault(name);

    public IEnumerable<string> Names => _operations.Keys;

    public IEnumerator<KeyValuePair<string, OperationHandler>> GetEnumerator() => _operations.GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
