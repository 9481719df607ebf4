using Stratus.Protocols;

namespace Stratus.Services.Rds;

/// <summary>
/// ModifyDBInstance's and ModifyDBCluster's master password members, one piece for both as RDS treats them alike: a new
/// MasterUserPassword, ManageMasterUserPassword turned on (RDS makes a password, keeps it in an rds! secret and sets it in
/// the server) or off (the secret goes; the given password is set), and RotateMasterUserPassword.
/// </summary>
public sealed partial class RdsService
{
    /// <summary>Checks the members against the database before anything changes; whether RDS manages the password after the change.</summary>
    private static bool CheckMasterPasswordChange<TDatabase>(TDatabase database, IMasterPasswordChange change) where TDatabase : IRdsDatabase
    {
        if (change.MasterUserPassword is not null) RdsRules.MasterPassword(change.MasterUserPassword, database.Engine);
        var manage = change.ManageMasterUserPassword ?? database.MasterUserSecret is not null;
        RdsRules.ManagedMasterPasswordChange(manage, database.MasterUserSecret is not null, change, TDatabase.SecretNaming.Described);
        return manage;
    }

    /// <summary>
    /// Carries out a change <see cref="CheckMasterPasswordChange"/> accepted (<paramref name="manage"/> is its answer).
    /// <paramref name="passwordServer"/> is the instance whose server takes the password (a cluster's writer; it refuses when
    /// there is none, before the secret is made or rotated); <paramref name="recordSecret"/> stores the secret, or null, on the database.
    /// </summary>
    private async Task<TDatabase> ApplyMasterPasswordChangeAsync<TDatabase>(Scope scope, TDatabase database, IMasterPasswordChange change, bool manage,
        Func<TDatabase, DbInstance> passwordServer, Func<TDatabase, MasterUserSecret?, TDatabase> recordSecret) where TDatabase : IRdsDatabase
    {
        if (change.MasterUserPassword is { } password) await SetMasterPasswordAsync(passwordServer(database), password);
        if (manage && database.MasterUserSecret is null)
        {
            var server = passwordServer(database);
            var generated = RdsMasterUserSecrets.NewPassword();
            database = recordSecret(database, _masterUserSecrets.Create(scope, database, generated, change.MasterUserSecretKmsKeyId));
            await SetMasterPasswordAsync(server, generated);
        }
        else if (!manage && database.MasterUserSecret is { } unmanaged)
        {
            _masterUserSecrets.Delete(scope, unmanaged);
            database = recordSecret(database, null);
        }
        else if (change.RotateMasterUserPassword == true && database.MasterUserSecret is { } secret)
        {
            // Secrets Manager makes the new version, calls back ApplyRotationAsync to set it in the server, then makes it AWSCURRENT.
            passwordServer(database);
            await _masterUserSecrets.RotateAsync(scope, secret, _shutdown.Token);
        }
        return database;
    }
}
