using Stratus.Persistence;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.CloudFormation.Macros;

/// <summary>A macro an AWS::CloudFormation::Macro resource registered: the Lambda function templates naming it are processed by.</summary>
public sealed record MacroRecord(string AccountId, string Region, string Name, string FunctionName, string? Description,
    string? LogGroupName, string? LogRoleArn);

/// <summary>
/// The macros of each account and Region, persisted with the rest of CloudFormation's state so a restart keeps them.
/// A name is the account's and Region's alone, as on AWS, where a second macro of one name is refused.
/// </summary>
public sealed class MacroRegistry(StateStore store)
{
    private readonly ResourceTable<MacroRecord> _macros = new(store, "cloudformation.macros");

    public MacroRecord? Find(string accountId, string region, string name) => _macros.Get(ResourceTable<MacroRecord>.Key(accountId, region, name));

    /// <summary>Registers a new macro; a name already taken is refused as CloudFormation refuses a resource that already exists.</summary>
    public void Register(MacroRecord macro)
    {
        if (!_macros.TryAdd(Key(macro), macro))
            throw new ResourcePropertyException($"Resource of type 'AWS::CloudFormation::Macro' with identifier '{macro.Name}' already exists.");
    }

    public void Replace(MacroRecord macro) => _macros.Put(Key(macro), macro);

    public void Remove(string accountId, string region, string name) => _macros.Remove(ResourceTable<MacroRecord>.Key(accountId, region, name));

    private static string Key(MacroRecord macro) => ResourceTable<MacroRecord>.Key(macro.AccountId, macro.Region, macro.Name);
}
