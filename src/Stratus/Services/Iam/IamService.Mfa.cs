using System.Security.Cryptography;
using System.Text;
using Stratus.Protocols;
using Stratus.Services.Iam.Engine;

namespace Stratus.Services.Iam;

/// <summary>
/// Virtual MFA devices: a random 20-byte TOTP seed per device, sealed at rest and shown once, at creation, in base32
/// and as a QR code of its otpauth:// URI; enabled for a user with two consecutive codes, as IAM enables them; and
/// the codes STS checks when a session is asked for with a device's serial number.
/// </summary>
public sealed partial class IamService
{
    /// <summary>IAM's limit of MFA devices per user.</summary>
    public const int MaxMfaDevicesPerUser = 8;

    /// <summary>How far back the two codes EnableMFADevice and ResyncMFADevice are given may lie, in steps: the time a person takes to read two codes off an app.</summary>
    private const int EnableWindowSteps = 4;

    /// <summary>How far either way a device's clock may have drifted for ResyncMFADevice to find its codes: ten minutes.</summary>
    private const int ResyncWindowSteps = 20;

    /// <summary>The pixels per QR module of QRCodePNG.</summary>
    public const int QrModulePixels = 4;

    private static string MfaKey(IamVirtualMfaDevice device) => Key(device.AccountId, device.Path + device.Name);

    public CreatedVirtualMfaDevice CreateVirtualMfaDevice(Scope scope, string name, string? path, IReadOnlyList<IamTag> tags)
    {
        IamNames.CheckName("VirtualMFADeviceName", name, 226);
        var seed = RandomNumberGenerator.GetBytes(Totp.SeedBytes);
        var device = new IamVirtualMfaDevice
        {
            AccountId = scope.AccountId,
            Name = name,
            Path = IamNames.CheckPath(path),
            SealedSeed = "",
            CreateDate = Now,
            Tags = IamNames.CheckTags(tags),
        };
        device = device with { SealedSeed = Convert.ToBase64String(_sealing.Seal(seed, Binding(device))) };
        if (!_mfaDevices.TryAdd(MfaKey(device), device)) throw IamErrors.VirtualMfaDeviceExists();
        var base32 = Totp.Base32(seed);
        // The URI as the API reference gives it: the device's name, the account (no user is assigned yet) and the seed.
        var uri = $"otpauth://totp/{name}@{scope.AccountId}?secret={base32}";
        return new CreatedVirtualMfaDevice(device, base32, QrCode.Encode(Encoding.UTF8.GetBytes(uri)).ToPng(QrModulePixels));
    }

    public void EnableMfaDevice(Scope scope, string userName, string serialNumber, string code1, string code2)
    {
        var user = GetUser(scope, userName);
        var device = GetMfaDevice(scope, serialNumber);
        if (device.UserName is not null) throw IamErrors.MfaDeviceInUse(serialNumber);
        if (MfaDevicesOf(user).Count() >= MaxMfaDevicesPerUser) throw IamErrors.QuotaExceeded("MFADevicesPerUser", MaxMfaDevicesPerUser);
        var now = Totp.StepAt(Now);
        var step = ConsecutiveCodes(device, code1, code2, now - EnableWindowSteps, now) ?? throw IamErrors.InvalidAuthenticationCode();
        _mfaDevices.Update(MfaKey(device), d => d.UserName is not null
            ? throw IamErrors.MfaDeviceInUse(serialNumber)
            : d with { UserName = user.UserName, EnableDate = Now, LastUsedStep = step + 1, DriftSteps = 0 });
    }

    public void ResyncMfaDevice(Scope scope, string userName, string serialNumber, string code1, string code2)
    {
        var device = GetEnabledMfaDevice(scope, userName, serialNumber);
        var now = Totp.StepAt(Now);
        var step = ConsecutiveCodes(device, code1, code2, now - ResyncWindowSteps, now + ResyncWindowSteps) ?? throw IamErrors.InvalidAuthenticationCode();
        _mfaDevices.Update(MfaKey(device), d => d with { LastUsedStep = Math.Max(d.LastUsedStep, step + 1), DriftSteps = step + 1 - now });
    }

    public void DeactivateMfaDevice(Scope scope, string userName, string serialNumber)
    {
        var device = GetEnabledMfaDevice(scope, userName, serialNumber);
        _mfaDevices.Update(MfaKey(device), d => d with { UserName = null, EnableDate = null });
    }

    public void DeleteVirtualMfaDevice(Scope scope, string serialNumber)
    {
        var device = GetMfaDevice(scope, serialNumber);
        if (device.UserName is not null) throw IamErrors.MfaDeviceStillEnabled();
        _mfaDevices.Remove(MfaKey(device));
    }

    public IamVirtualMfaDevice GetEnabledMfaDevice(Scope scope, string userName, string serialNumber)
    {
        var user = GetUser(scope, userName);
        var device = GetMfaDevice(scope, serialNumber);
        return string.Equals(device.UserName, user.UserName, StringComparison.OrdinalIgnoreCase) ? device : throw IamErrors.NoSuchMfaDevice(serialNumber);
    }

    /// <summary>GetMFADevice: the device as enabled for a user (for any user when no name is given).</summary>
    public IamVirtualMfaDevice GetAssignedMfaDevice(Scope scope, string serialNumber, string? userName) =>
        userName is null
            ? GetMfaDevice(scope, serialNumber) is { UserName: not null } device ? device : throw IamErrors.NoSuchMfaDevice(serialNumber)
            : GetEnabledMfaDevice(scope, userName, serialNumber);

    public Page<IamVirtualMfaDevice> ListMfaDevices(Scope scope, string userName, string? marker, int? maxItems) =>
        Paginate(MfaDevicesOf(GetUser(scope, userName)), d => d.SerialNumber, marker, maxItems);

    public Page<IamVirtualMfaDevice> ListVirtualMfaDevices(Scope scope, string? assignmentStatus, string? marker, int? maxItems)
    {
        Func<IamVirtualMfaDevice, bool> wanted = (assignmentStatus ?? "Any") switch
        {
            "Any" => _ => true,
            "Assigned" => d => d.UserName is not null,
            "Unassigned" => d => d.UserName is null,
            _ => throw IamNames.Errors.Constraint("AssignmentStatus", assignmentStatus, "Member must satisfy enum value set: [Assigned, Unassigned, Any]"),
        };
        return Paginate(_mfaDevices.Values.Where(d => d.AccountId == scope.AccountId && wanted(d)), d => d.SerialNumber, marker, maxItems);
    }

    public IamVirtualMfaDevice GetMfaDevice(Scope scope, string serialNumber) =>
        _mfaDevices.Values.FirstOrDefault(d => d.AccountId == scope.AccountId && string.Equals(d.SerialNumber, serialNumber, StringComparison.OrdinalIgnoreCase))
            ?? throw IamErrors.NoSuchMfaDevice(serialNumber);

    public void TagMfaDevice(Scope scope, string serialNumber, IReadOnlyList<IamTag> tags) =>
        _mfaDevices.Update(MfaKey(GetMfaDevice(scope, serialNumber)), d => d with { Tags = IamNames.CheckTags(MergeTags(d.Tags, tags)) });

    public void UntagMfaDevice(Scope scope, string serialNumber, IReadOnlyCollection<string> keys) =>
        _mfaDevices.Update(MfaKey(GetMfaDevice(scope, serialNumber)), d => d with { Tags = d.Tags.Where(t => !keys.Contains(t.Key)).ToList() });

    public MfaCheck CheckMfaCode(string userArn, string serialNumber, string tokenCode)
    {
        var user = _users.Values.FirstOrDefault(u => u.Arn == userArn);
        var device = user is null ? null : MfaDevicesOf(user).FirstOrDefault(d => string.Equals(d.SerialNumber, serialNumber, StringComparison.OrdinalIgnoreCase));
        if (device is null) return MfaCheck.UnknownDevice;
        var now = Totp.StepAt(Now) + device.DriftSteps;
        // A code is good for its own step and one either side (clock skew), and only once: AWS refuses a code used before.
        var step = Totp.FindStep(Seed(device), tokenCode, Math.Max(now - 1, device.LastUsedStep + 1), now + 1);
        if (step is null) return MfaCheck.InvalidCode;
        var spent = false;
        _mfaDevices.Update(MfaKey(device), d =>
        {
            spent = d.LastUsedStep >= step;
            return spent ? d : d with { LastUsedStep = step.Value };
        });
        return spent ? MfaCheck.InvalidCode : MfaCheck.Accepted;
    }

    /// <summary>The devices enabled for the user.</summary>
    private IEnumerable<IamVirtualMfaDevice> MfaDevicesOf(IamUser user) =>
        _mfaDevices.Values.Where(d => d.AccountId == user.AccountId && string.Equals(d.UserName, user.UserName, StringComparison.OrdinalIgnoreCase));

    private int MfaDeviceCount(string accountId, bool inUseOnly) =>
        _mfaDevices.Values.Count(d => d.AccountId == accountId && (!inUseOnly || d.UserName is not null));

    /// <summary>The step of the first of two consecutive codes within the window, as IAM asks them to enable or resync a device.</summary>
    private long? ConsecutiveCodes(IamVirtualMfaDevice device, string code1, string code2, long from, long to)
    {
        var seed = Seed(device);
        for (var step = from; step < to; step++)
            if (Totp.FindStep(seed, code1, step, step) is not null && Totp.FindStep(seed, code2, step + 1, step + 1) is not null) return step;
        return null;
    }

    private byte[] Seed(IamVirtualMfaDevice device) =>
        _sealing.TryOpen(Convert.FromBase64String(device.SealedSeed), Binding(device))
            ?? throw new InvalidOperationException($"The seed of MFA device {device.SerialNumber} does not open under IAM's sealing key (was the key file replaced?).");

    private static byte[] Binding(IamVirtualMfaDevice device) => Encoding.UTF8.GetBytes("iam-mfa-seed|" + device.SerialNumber);
}
