using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Stratus.Protocols;

namespace Stratus.Services.Ec2;

/// <summary>EC2 resource ids: a type prefix and 17 hex digits, as AWS has issued them since 2018.</summary>
public static class Ec2Ids
{
    public enum Kind { Unknown, Vpc, Subnet, SecurityGroup, InternetGateway, RouteTable, NatGateway, Address }

    private static readonly (string Prefix, Kind Kind)[] Prefixes =
    [
        ("vpc-", Kind.Vpc), ("subnet-", Kind.Subnet), ("sg-", Kind.SecurityGroup), ("igw-", Kind.InternetGateway),
        ("rtb-", Kind.RouteTable), ("nat-", Kind.NatGateway), ("eipalloc-", Kind.Address),
    ];

    public static Kind KindOf(string id) => Prefixes.FirstOrDefault(p => id.StartsWith(p.Prefix, StringComparison.Ordinal)).Kind;

    public static string New(string prefix) => prefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(9))[..17];

    /// <summary>
    /// The default VPC's objects have ids derived from account and region, so what RDS reported before EC2
    /// existed (and stored with its instances) names the same objects EC2 now describes.
    /// </summary>
    public static string Stable(string prefix, string accountId, string region, string part) =>
        prefix + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{accountId}/{region}/{part}")))[..17];
}

/// <summary>An IPv4 CIDR block: its network address and prefix length.</summary>
public readonly record struct Cidr(uint Network, int PrefixLength)
{
    public uint Last => Network | (PrefixLength == 0 ? uint.MaxValue : (1u << (32 - PrefixLength)) - 1);

    public bool Contains(Cidr inner) => inner.PrefixLength >= PrefixLength && inner.Network >= Network && inner.Last <= Last;

    public bool Overlaps(Cidr other) => Network <= other.Last && other.Network <= Last;

    public string Address(uint offset) => new IPAddress(BitConverter.GetBytes(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(Network + offset))).ToString();

    public override string ToString() => $"{Address(0)}/{PrefixLength}";

    /// <summary>
    /// Parses a.b.c.d/n; null when it is not one. Host bits must be zero, as EC2 refuses 10.0.0.1/16 for a VPC
    /// or subnet ("not a valid CIDR block").
    /// </summary>
    public static Cidr? Parse(string text)
    {
        var slash = text.IndexOf('/');
        if (slash < 0 || !int.TryParse(text.AsSpan(slash + 1), out var length) || length is < 0 or > 32) return null;
        var address = text[..slash];
        if (address.Count(c => c == '.') != 3 || !IPAddress.TryParse(address, out var ip) || ip.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
            return null;
        var value = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(ip.GetAddressBytes());
        var cidr = new Cidr(value, length);
        var mask = length == 0 ? 0u : uint.MaxValue << (32 - length);
        return (value & ~mask) == 0 ? cidr : null;
    }
}

/// <summary>EC2's input rules and the region facts it answers with.</summary>
public static partial class Ec2Rules
{
    /// <summary>
    /// The published model's member rules (Ec2Rules.json, written by scripts/member-rules.py under EC2's query names),
    /// checked before an operation runs. EC2 names the first member that breaks them in its own words: a missing one as
    /// MissingParameter ("The request must contain the parameter vpcId"), any other as InvalidParameterValue
    /// ("Value ( 3 ) for parameter maxResults is invalid. Expecting a value greater than 5.").
    /// </summary>
    public static readonly MemberRules Members = MemberRules.Embedded("Stratus.Rules.Ec2Rules.json").WordedAs((_, violations) => Refusal(violations[0]));

    private static AwsException Refusal(MemberViolation violation)
    {
        // EC2 names a nested member by its path without Smithy's list positions: IpPermissions.1.member.ipProtocol is ipPermissions.ipProtocol.
        var name = ListPosition().Replace(violation.Path, "");
        return violation.Kind switch
        {
            ViolatedConstraint.Required => Ec2Errors.MissingParameter(name),
            ViolatedConstraint.Range => Ec2Errors.InvalidParameterValue($"Value ( {violation.Value} ) for parameter {name} is invalid. Expecting a value " +
                (violation.Constraint.Contains("greater", StringComparison.Ordinal) ? $"greater than {violation.Rule.Min}." : $"less than {violation.Rule.Max}.")),
            _ => Ec2Errors.InvalidParameterValue($"Value ({violation.Value}) for parameter {name} is invalid."),
        };
    }

    [GeneratedRegex(@"\.\d+\.member")]
    private static partial Regex ListPosition();

    public const string DefaultVpcCidr = "172.31.0.0/16";
    /// <summary>AWS's default Elastic IP quota per region.</summary>
    public const int MaxAddresses = 5;

    /// <summary>
    /// The Availability Zones each region lists (DescribeAvailabilityZones; the default VPC has a subnet in each).
    /// Where a region's zone letters are not contiguous for new accounts, the letters AWS lists are used.
    /// </summary>
    private static readonly Dictionary<string, string> ZoneLetters = new(StringComparer.Ordinal)
    {
        ["us-east-1"] = "abcdef", ["us-east-2"] = "abc", ["us-west-1"] = "ac", ["us-west-2"] = "abcd",
        ["ca-central-1"] = "abd", ["ap-northeast-1"] = "acd", ["ap-northeast-2"] = "abcd", ["ap-northeast-3"] = "abc",
        ["ap-southeast-2"] = "abc", ["ap-south-1"] = "abc", ["eu-west-1"] = "abc", ["eu-central-1"] = "abc", ["sa-east-1"] = "abc",
    };

    public static IReadOnlyList<string> AvailabilityZones(string region) =>
        ZoneLetters.GetValueOrDefault(region, "abc").Select(letter => region + letter).ToList();

    /// <summary>
    /// A zone's id (use1-az1): the region's short code and a number. AWS maps names to ids per account;
    /// Stratus numbers them in name order.
    /// </summary>
    public static string ZoneId(string region, string zone)
    {
        var parts = region.Split('-');
        var direction = parts.Length == 3
            ? parts[1] switch
            {
                "northeast" => "ne", "southeast" => "se", "northwest" => "nw", "southwest" => "sw",
                var d => d[..1],
            }
            : "";
        var index = AvailabilityZones(region).ToList().IndexOf(zone) + 1;
        return $"{parts[0]}{direction}{parts[^1]}-az{index}";
    }

    public static Cidr VpcCidr(string? text)
    {
        if (text is null) throw Ec2Errors.MissingParameter("cidrBlock");
        var cidr = Cidr.Parse(text) ?? throw Ec2Errors.InvalidCidr("cidrBlock", text);
        // A VPC is between /16 and /28.
        if (cidr.PrefixLength is < 16 or > 28) throw Ec2Errors.VpcRange(text);
        return cidr;
    }

    public static Cidr SubnetCidr(string? text, Cidr vpc)
    {
        if (text is null) throw Ec2Errors.MissingParameter("cidrBlock");
        var cidr = Cidr.Parse(text) ?? throw Ec2Errors.InvalidCidr("cidrBlock", text);
        if (cidr.PrefixLength is < 16 or > 28 || !vpc.Contains(cidr)) throw Ec2Errors.SubnetRange(text);
        return cidr;
    }

    /// <summary>A rule's peer range: any valid CIDR (host bits set are refused as EC2 refuses them).</summary>
    public static string RuleCidr(string text)
    {
        var slash = text.IndexOf('/');
        if (slash < 0 || !IPAddress.TryParse(text[..slash], out _) || !int.TryParse(text[(slash + 1)..], out var length) || length < 0 || length > 128)
            throw Ec2Errors.InvalidParameterValue($"CIDR block {text} is malformed");
        return text;
    }

    /// <summary>
    /// IpProtocol as AWS stores it: names lower-cased, "all"/"-1" as -1, the common numbers as names (6 tcp, 17 udp, 1 icmp, 58 icmpv6).
    /// </summary>
    public static string Protocol(string protocol) => protocol.ToLowerInvariant() switch
    {
        "-1" or "all" => "-1",
        "tcp" or "6" => "tcp",
        "udp" or "17" => "udp",
        "icmp" or "1" => "icmp",
        "icmpv6" or "58" => "icmpv6",
        var other when int.TryParse(other, out var number) && number is >= 0 and <= 255 => other,
        var other => throw Ec2Errors.InvalidParameterValue($"Invalid value '{other}' for IP protocol. Unknown protocol."),
    };

    public static void GroupName(string name)
    {
        if (name.Length is 0 or > 255) throw Ec2Errors.InvalidParameterValue($"Invalid value '{name}' for groupName. Length of groupName must be between 1 and 255 characters.");
        if (name == "default" || name.StartsWith("sg-", StringComparison.Ordinal)) throw Ec2Errors.GroupReserved();
    }

    public static void GroupDescription(string? description)
    {
        if (description is null) throw Ec2Errors.MissingParameter("groupDescription");
        if (description.Length > 255) throw Ec2Errors.InvalidParameterValue("Invalid value for GroupDescription. Length must be between 0 and 255 characters.");
    }

    /// <summary>Whether any of the filter's values matches: EC2 filter values take * and ? as wildcards.</summary>
    public static bool Matches(IReadOnlyList<string> patterns, IEnumerable<string?> values)
    {
        var present = values.OfType<string>().ToList();
        return patterns.Any(pattern => present.Any(value => Wildcard(pattern).IsMatch(value)));
    }

    private static Regex Wildcard(string pattern) =>
        new("^" + Regex.Escape(pattern).Replace("\\*", ".*").Replace("\\?", ".") + "$", RegexOptions.Singleline, TimeSpan.FromMilliseconds(100));
}
