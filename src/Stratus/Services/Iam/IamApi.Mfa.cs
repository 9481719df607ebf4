using System.Text;
using System.Text.Json.Nodes;
using Stratus.Protocols;

namespace Stratus.Services.Iam;

/// <summary>IAM's wire operations for virtual MFA devices.</summary>
public sealed partial class IamApi
{
    private void AddMfaOperations(OperationTable table)
    {
        table.Add("CreateVirtualMFADevice", i =>
        {
            var created = _iam.CreateVirtualMfaDevice(i.Scope, i.Required("VirtualMFADeviceName"), i.String("Path"), IamTag.List(i));
            var device = VirtualMfaDevice(created.Device);
            // Both are blobs on the wire (base64): the seed's base32 text and the PNG's bytes, as the model gives them.
            device["Base32StringSeed"] = Convert.ToBase64String(Encoding.ASCII.GetBytes(created.Base32Seed));
            device["QRCodePNG"] = Convert.ToBase64String(created.QrCodePng);
            return new JsonObject { ["VirtualMFADevice"] = device };
        });
        table.Add("EnableMFADevice", i => Done(() => _iam.EnableMfaDevice(i.Scope, i.Required("UserName"), i.Required("SerialNumber"), i.Required("AuthenticationCode1"), i.Required("AuthenticationCode2"))));
        table.Add("ResyncMFADevice", i => Done(() => _iam.ResyncMfaDevice(i.Scope, i.Required("UserName"), i.Required("SerialNumber"), i.Required("AuthenticationCode1"), i.Required("AuthenticationCode2"))));
        table.Add("DeactivateMFADevice", i => Done(() => _iam.DeactivateMfaDevice(i.Scope, i.String("UserName") ?? CallerUserName(i), i.Required("SerialNumber"))));
        table.Add("DeleteVirtualMFADevice", i => Done(() => _iam.DeleteVirtualMfaDevice(i.Scope, i.Required("SerialNumber"))));
        table.Add("GetMFADevice", i =>
        {
            var device = _iam.GetAssignedMfaDevice(i.Scope, i.Required("SerialNumber"), i.String("UserName"));
            return new JsonObject { ["UserName"] = device.UserName, ["SerialNumber"] = device.SerialNumber, ["EnableDate"] = device.EnableDate };
        });
        table.Add("ListMFADevices", i => Paged(_iam.ListMfaDevices(i.Scope, i.String("UserName") ?? CallerUserName(i), i.String("Marker"), i.Int("MaxItems")), "MFADevices",
            d => new JsonObject { ["UserName"] = d.UserName, ["SerialNumber"] = d.SerialNumber, ["EnableDate"] = d.EnableDate }));
        table.Add("ListVirtualMFADevices", i => Paged(_iam.ListVirtualMfaDevices(i.Scope, i.String("AssignmentStatus"), i.String("Marker"), i.Int("MaxItems")), "VirtualMFADevices",
            d => VirtualMfaDevice(d, i.Scope)));
        table.Add("TagMFADevice", i => Done(() => _iam.TagMfaDevice(i.Scope, i.Required("SerialNumber"), IamTag.List(i))));
        table.Add("UntagMFADevice", i => Done(() => _iam.UntagMfaDevice(i.Scope, i.Required("SerialNumber"), i.Strings("TagKeys").ToHashSet(StringComparer.Ordinal))));
        table.Add("ListMFADeviceTags", i => Tags(_iam.GetMfaDevice(i.Scope, i.Required("SerialNumber")).Tags, i));
    }

    /// <summary>A VirtualMFADevice as listed: never its seed or QR code, which only its creation returns.</summary>
    private JsonObject VirtualMfaDevice(IamVirtualMfaDevice device, Scope? scope = null)
    {
        var body = new JsonObject { ["SerialNumber"] = device.SerialNumber };
        if (device.UserName is { } userName && scope is not null) body["User"] = User(_iam.GetUser(scope, userName), withTags: false);
        if (device.EnableDate is { } enabled) body["EnableDate"] = enabled;
        if (device.Tags.Count > 0) body["Tags"] = TagList(device.Tags);
        return body;
    }
}
