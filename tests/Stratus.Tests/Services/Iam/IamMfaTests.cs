using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Iam;

/// <summary>
/// Virtual MFA devices end to end with boto3, the test computing the TOTP codes from the seed itself (RFC 6238 with
/// python's hmac): create, the QR code decoded by the test, enable, list; GetSessionToken and AssumeRole with right,
/// wrong and reused codes; and under --auth enforce policies and trust policies that require MFA.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class IamMfaTests : EnforcedStratusTest
{
    /// <summary>TOTP codes from a device's base32 seed, and a device made, enabled (two consecutive codes) and remembered with its last spent step.</summary>
    private const string MfaPrelude = """
        import base64, hashlib, hmac, struct, time
        def totp(seed, step):
            digest = hmac.new(base64.b32decode(seed), struct.pack(">Q", step), hashlib.sha1).digest()
            offset = digest[-1] & 15
            return "%06d" % ((struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1000000)
        def step_now():
            return int(time.time()) // 30
        class Device:
            def __init__(self, iam, name, user_name):
                created = iam.create_virtual_mfa_device(VirtualMFADeviceName=name, Tags=[{"Key": "team", "Value": "a"}])["VirtualMFADevice"]
                self.serial, self.seed, self.png = created["SerialNumber"], created["Base32StringSeed"], created["QRCodePNG"]
                now = step_now()
                iam.enable_mfa_device(UserName=user_name, SerialNumber=self.serial, AuthenticationCode1=totp(self.seed, now - 1), AuthenticationCode2=totp(self.seed, now))
                self.last = now
            def next_code(self):
                self.last = max(self.last + 1, step_now())
                return totp(self.seed, self.last)
            def stale_code(self):
                return totp(self.seed, self.last - 6)

        """;

    [Fact]
    public async Task A_device_is_made_enabled_listed_and_its_codes_open_sessions_once()
    {
        var r = await Clients.Boto3Async(Server.Url, RootPrelude + MfaPrelude + """
            iam = client("iam", **ROOT)
            worker = user("mfa-worker", [{"Effect": "Allow", "Action": "sts:GetSessionToken", "Resource": "*"}])
            device = Device(iam, "mfa-worker-phone", "mfa-worker")
            out["serial"] = device.serial
            out["seed_length"] = len(base64.b32decode(device.seed))
            out["png"] = base64.b64encode(device.png).decode()
            out["listed"] = [d["SerialNumber"] for d in iam.list_mfa_devices(UserName="mfa-worker")["MFADevices"]]
            out["assigned"] = [(d["SerialNumber"], d["User"]["UserName"], "Base32StringSeed" in d, "QRCodePNG" in d) for d in iam.list_virtual_mfa_devices(AssignmentStatus="Assigned")["VirtualMFADevices"]]
            out["unassigned"] = [d["SerialNumber"] for d in iam.list_virtual_mfa_devices(AssignmentStatus="Unassigned")["VirtualMFADevices"]]
            out["get"] = iam.get_mfa_device(SerialNumber=device.serial)["UserName"]
            out["tags"] = iam.list_mfa_device_tags(SerialNumber=device.serial)["Tags"]
            summary = iam.get_account_summary()["SummaryMap"]
            out["summary"] = [summary["MFADevices"], summary["MFADevicesInUse"]]
            out["enable_again"] = error(iam.enable_mfa_device, UserName="mfa-worker", SerialNumber=device.serial, AuthenticationCode1="123456", AuthenticationCode2="654321")
            iam.create_user(UserName="other")
            spare = iam.create_virtual_mfa_device(VirtualMFADeviceName="spare")["VirtualMFADevice"]
            out["bad_enable"] = error(iam.enable_mfa_device, UserName="other", SerialNumber=spare["SerialNumber"], AuthenticationCode1=totp(spare["Base32StringSeed"], step_now() - 9), AuthenticationCode2=totp(spare["Base32StringSeed"], step_now() - 8))

            sts = client("sts", **worker)
            code = device.next_code()
            creds = sts.get_session_token(SerialNumber=device.serial, TokenCode=code)["Credentials"]
            out["session_key"] = creds["AccessKeyId"]
            out["reused"] = error(sts.get_session_token, SerialNumber=device.serial, TokenCode=code)
            out["wrong_code"] = error(sts.get_session_token, SerialNumber=device.serial, TokenCode=device.stale_code())
            out["wrong_serial"] = error(sts.get_session_token, SerialNumber=spare["SerialNumber"], TokenCode=device.next_code())

            # A device whose clock runs five steps ahead: its codes are found again after ResyncMFADevice.
            ahead = step_now() + 5
            iam.resync_mfa_device(UserName="mfa-worker", SerialNumber=device.serial, AuthenticationCode1=totp(device.seed, ahead), AuthenticationCode2=totp(device.seed, ahead + 1))
            out["after_resync"] = sts.get_session_token(SerialNumber=device.serial, TokenCode=totp(device.seed, ahead + 2))["Credentials"]["AccessKeyId"]

            out["delete_enabled"] = error(iam.delete_virtual_mfa_device, SerialNumber=device.serial)
            out["delete_user_with_device"] = error(iam.delete_user, UserName="mfa-worker")
            iam.deactivate_mfa_device(UserName="mfa-worker", SerialNumber=device.serial)
            out["listed_after"] = iam.list_mfa_devices(UserName="mfa-worker")["MFADevices"]
            iam.delete_virtual_mfa_device(SerialNumber=device.serial)
            iam.delete_virtual_mfa_device(SerialNumber=spare["SerialNumber"])
            out["gone"] = error(iam.get_mfa_device, SerialNumber=device.serial)
            out["left"] = iam.list_virtual_mfa_devices()["VirtualMFADevices"]
            """);

        Assert.Equal("arn:aws:iam::000000000000:mfa/mfa-worker-phone", r["serial"]!.GetValue<string>());
        Assert.Equal(20, r["seed_length"]!.GetValue<int>());
        Assert.Equal(["arn:aws:iam::000000000000:mfa/mfa-worker-phone"], r["listed"]!.AsArray().Select(s => s!.GetValue<string>()));
        var assigned = Assert.Single(r["assigned"]!.AsArray())!.AsArray();
        Assert.Equal("mfa-worker", assigned[1]!.GetValue<string>());
        Assert.False(assigned[2]!.GetValue<bool>());
        Assert.False(assigned[3]!.GetValue<bool>());
        Assert.Empty(r["unassigned"]!.AsArray());
        Assert.Equal("mfa-worker", r["get"]!.GetValue<string>());
        Assert.Equal("a", r["tags"]![0]!["Value"]!.GetValue<string>());
        Assert.Equal([1, 1], r["summary"]!.AsArray().Select(n => n!.GetValue<int>()));
        Assert.Equal("EntityAlreadyExists", r["enable_again"]!["code"]!.GetValue<string>());
        Assert.Equal("InvalidAuthenticationCode", r["bad_enable"]!["code"]!.GetValue<string>());
        Assert.Equal("Authentication code for device is not valid.", r["bad_enable"]!["message"]!.GetValue<string>());

        Assert.StartsWith("ASIA", r["session_key"]!.GetValue<string>());
        foreach (var refused in new[] { "reused", "wrong_code" })
        {
            Assert.Equal("AccessDenied", r[refused]!["code"]!.GetValue<string>());
            Assert.Equal("MultiFactorAuthentication failed with invalid MFA one time pass code.", r[refused]!["message"]!.GetValue<string>());
        }
        Assert.Equal("AccessDenied", r["wrong_serial"]!["code"]!.GetValue<string>());
        Assert.StartsWith("MultiFactorAuthentication failed, unable to validate MFA code.", r["wrong_serial"]!["message"]!.GetValue<string>());
        Assert.StartsWith("ASIA", r["after_resync"]!.GetValue<string>());

        Assert.Equal("DeleteConflict", r["delete_enabled"]!["code"]!.GetValue<string>());
        Assert.Equal("DeleteConflict", r["delete_user_with_device"]!["code"]!.GetValue<string>());
        Assert.Empty(r["listed_after"]!.AsArray());
        Assert.Equal("NoSuchEntity", r["gone"]!["code"]!.GetValue<string>());
        Assert.Empty(r["left"]!.AsArray());

        var uri = QrCodeReader.Decode(Convert.FromBase64String(r["png"]!.GetValue<string>()));
        Assert.Matches(@"^otpauth://totp/mfa-worker-phone@000000000000\?secret=[A-Z2-7]{32}$", uri);
    }

    [Fact]
    public async Task Policies_and_trust_policies_requiring_MFA_let_only_MFA_sessions_through()
    {
        var r = await Clients.Boto3Async(Server.Url, RootPrelude + MfaPrelude + """
            iam = client("iam", **ROOT)
            statements = [
                {"Effect": "Allow", "Action": ["sts:GetSessionToken", "sts:AssumeRole"], "Resource": "*"},
                {"Effect": "Allow", "Action": "logs:DescribeLogGroups", "Resource": "*", "Condition": {"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}},
                {"Effect": "Deny", "Action": "logs:*", "Resource": "*", "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}]
            worker = user("guarded", statements)
            device = Device(iam, "guarded-phone", "guarded")
            sts = client("sts", **worker)
            def session(creds):
                return dict(key=creds["AccessKeyId"], secret=creds["SecretAccessKey"], token=creds["SessionToken"])
            out["plain_key"] = error(client("logs", **worker).describe_log_groups)
            plain_session = session(sts.get_session_token()["Credentials"])
            out["session_without_mfa"] = error(client("logs", **plain_session).describe_log_groups)
            mfa_session = session(sts.get_session_token(SerialNumber=device.serial, TokenCode=device.next_code())["Credentials"])
            out["mfa_session"] = "logGroups" in client("logs", **mfa_session).describe_log_groups()

            trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::000000000000:root"}, "Action": "sts:AssumeRole",
                "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}]}
            iam.create_role(RoleName="needs-mfa", AssumeRolePolicyDocument=json.dumps(trust))
            iam.put_role_policy(RoleName="needs-mfa", PolicyName="logs", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "logs:DescribeLogGroups", "Resource": "*", "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}]}))
            role = "arn:aws:iam::000000000000:role/needs-mfa"
            out["assume_without_mfa"] = error(sts.assume_role, RoleArn=role, RoleSessionName="s1")
            out["assume_wrong_code"] = error(sts.assume_role, RoleArn=role, RoleSessionName="s2", SerialNumber=device.serial, TokenCode=device.stale_code())
            # A second user and device: a device's codes are one per 30 s step, and this one's are spent up to the next step.
            other = user("guarded-too", statements)
            other_device = Device(iam, "guarded-too-phone", "guarded-too")
            assumed = session(client("sts", **other).assume_role(RoleArn=role, RoleSessionName="s3", SerialNumber=other_device.serial, TokenCode=other_device.next_code())["Credentials"])
            out["role_with_mfa"] = "logGroups" in client("logs", **assumed).describe_log_groups()
            chained = session(client("sts", **mfa_session).assume_role(RoleArn=role, RoleSessionName="s4")["Credentials"])
            out["assumed_from_mfa_session"] = client("sts", **chained).get_caller_identity()["Arn"]
            """);

        Assert.Equal("AccessDeniedException", r["plain_key"]!["code"]!.GetValue<string>());
        Assert.Equal("AccessDeniedException", r["session_without_mfa"]!["code"]!.GetValue<string>());
        Assert.Contains("explicit deny", r["session_without_mfa"]!["message"]!.GetValue<string>());
        Assert.True(r["mfa_session"]!.GetValue<bool>());
        Assert.Equal("AccessDenied", r["assume_without_mfa"]!["code"]!.GetValue<string>());
        Assert.Equal("MultiFactorAuthentication failed with invalid MFA one time pass code.", r["assume_wrong_code"]!["message"]!.GetValue<string>());
        Assert.True(r["role_with_mfa"]!.GetValue<bool>());
        Assert.Equal("arn:aws:sts::000000000000:assumed-role/needs-mfa/s4", r["assumed_from_mfa_session"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_stack_makes_a_virtual_device_that_is_enabled_afterwards()
    {
        var r = await Clients.Boto3Async(Server.Url, RootPrelude + """
            FAST = {"Delay": 1, "MaxAttempts": 60}
            cf, iam = client("cloudformation", **ROOT), client("iam", **ROOT)
            iam.create_user(UserName="stack-mfa-user")
            cf.create_stack(StackName="mfa-stack", TemplateBody=json.dumps({
                "Resources": {"Device": {"Type": "AWS::IAM::VirtualMFADevice", "Properties": {"VirtualMfaDeviceName": "stack-phone", "Path": "/team/",
                    "Users": ["stack-mfa-user"], "Tags": [{"Key": "owner", "Value": "stack"}]}}},
                "Outputs": {"Serial": {"Value": {"Ref": "Device"}}, "Attribute": {"Value": {"Fn::GetAtt": ["Device", "SerialNumber"]}}}}))
            cf.get_waiter("stack_create_complete").wait(StackName="mfa-stack", WaiterConfig=FAST)
            outputs = {o["OutputKey"]: o["OutputValue"] for o in cf.describe_stacks(StackName="mfa-stack")["Stacks"][0]["Outputs"]}
            out["outputs"] = [outputs["Serial"], outputs["Attribute"]]
            out["unassigned"] = [d["SerialNumber"] for d in iam.list_virtual_mfa_devices(AssignmentStatus="Unassigned")["VirtualMFADevices"]]
            out["tags"] = iam.list_mfa_device_tags(SerialNumber=outputs["Serial"])["Tags"]
            cf.delete_stack(StackName="mfa-stack")
            cf.get_waiter("stack_delete_complete").wait(StackName="mfa-stack", WaiterConfig=FAST)
            out["after_delete"] = iam.list_virtual_mfa_devices()["VirtualMFADevices"]
            iam.delete_user(UserName="stack-mfa-user")
            """);

        Assert.Equal(["arn:aws:iam::000000000000:mfa/team/stack-phone", "arn:aws:iam::000000000000:mfa/team/stack-phone"], r["outputs"]!.AsArray().Select(s => s!.GetValue<string>()));
        Assert.Contains("arn:aws:iam::000000000000:mfa/team/stack-phone", r["unassigned"]!.AsArray().Select(s => s!.GetValue<string>()));
        Assert.Equal("stack", r["tags"]![0]!["Value"]!.GetValue<string>());
        Assert.Empty(r["after_delete"]!.AsArray());
    }
}
