using Stratus.Protocols;

namespace Stratus.Services.Ssm;

/// <summary>What CloudFormation reads from Parameter Store (AWS::SSM::Parameter::Value&lt;T&gt; parameters), through SSM's domain.</summary>
public interface IParameterStoreReader
{
    /// <summary>The version NAME (or NAME:VERSION, NAME:LABEL) selects in the scope's account and region; null when there is none.</summary>
    SsmParameterVersion? Find(Scope scope, string reference);
}
