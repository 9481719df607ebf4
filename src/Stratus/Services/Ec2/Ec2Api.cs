using Stratus.Host;
using Stratus.Protocols.Query;

namespace Stratus.Services.Ec2;

/// <summary>
/// EC2's wire operations for VPC networking (EC2 Query protocol, 2016-11-15; signing name ec2): requests arrive with
/// EC2's serialized names (VpcId.N, Filter.N, TagSpecification.N); responses are written with EC2's locationNames
/// (vpcSet, vpcId, tagSet), which is what its clients read.
/// </summary>
public sealed class Ec2Api : IStratusService
{
    private readonly Ec2Service _ec2;

    public Ec2Api(Ec2Service ec2, ILogger logger)
    {
        _ec2 = ec2;
        Endpoint = new ServiceEndpoint("ec2", Operations(), new Ec2QueryProtocol("2016-11-15", "http://ec2.amazonaws.com/doc/2016-11-15/"))
        {
            Logger = logger,
            Validation = Ec2Errors.Validation,
            Rules = Ec2Rules.Members,
        };
    }

    public string Name => "ec2";
    public ServiceEndpoint Endpoint { get; }
    public string State => "running: VPC networking objects (records; no traffic flows through them)";

    /// <summary>What EC2 answers for a call that only acts: &lt;return&gt;true&lt;/return&gt;.</summary>
    private static JsonObject Done() => new() { ["return"] = true };

    private OperationTable Operations() => new()
    {
        { "DescribeAvailabilityZones", DescribeAvailabilityZones },
        { "DescribeAccountAttributes", DescribeAccountAttributes },

        { "CreateVpc", i => new JsonObject { ["vpc"] = VpcBody(i.Scope, _ec2.CreateVpc(i.Scope, i.String("CidrBlock"), i.String("InstanceTenancy"), Tags(i, "vpc"))) } },
        { "DescribeVpcs", i => new JsonObject { ["vpcSet"] = List(_ec2.DescribeVpcs(i.Scope, i.Strings("VpcId"), Filters(i)), v => VpcBody(i.Scope, v)) } },
        { "DeleteVpc", i => Run(() => _ec2.DeleteVpc(i.Scope, Required(i, "VpcId"))) },
        { "ModifyVpcAttribute", i => Run(() => _ec2.ModifyVpcAttribute(i.Scope, Required(i, "VpcId"),
            i.Object("EnableDnsSupport") is { } support ? Nested(i, support).Bool("Value") : null,
            i.Object("EnableDnsHostnames") is { } hostnames ? Nested(i, hostnames).Bool("Value") : null)) },
        { "DescribeVpcAttribute", DescribeVpcAttribute },

        { "CreateSubnet", i => new JsonObject { ["subnet"] = SubnetBody(i.Scope, _ec2.CreateSubnet(i.Scope, i.String("VpcId"), i.String("CidrBlock"),
            i.String("AvailabilityZone"), i.String("AvailabilityZoneId"), Tags(i, "subnet"))) } },
        { "DescribeSubnets", i => new JsonObject { ["subnetSet"] = List(_ec2.DescribeSubnets(i.Scope, i.Strings("SubnetId"), Filters(i)), s => SubnetBody(i.Scope, s)) } },
        { "DeleteSubnet", i => Run(() => _ec2.DeleteSubnet(i.Scope, Required(i, "SubnetId"))) },
        { "ModifySubnetAttribute", i => Run(() => _ec2.ModifySubnetAttribute(i.Scope, Required(i, "SubnetId"),
            i.Object("MapPublicIpOnLaunch") is { } map ? Nested(i, map).Bool("Value") : null)) },

        { "CreateSecurityGroup", i =>
            {
                var group = _ec2.CreateSecurityGroup(i.Scope, i.String("GroupName"), i.String("GroupDescription"), i.String("VpcId"), Tags(i, "security-group"));
                return new JsonObject { ["groupId"] = group.GroupId, ["tagSet"] = TagSet(i.Scope, group.GroupId), ["securityGroupArn"] = group.Arn };
            } },
        { "DescribeSecurityGroups", i => new JsonObject
            {
                ["securityGroupInfo"] = List(_ec2.DescribeSecurityGroups(i.Scope, i.Strings("GroupId"), i.Strings("GroupName"), Filters(i)), g => GroupBody(i.Scope, g)),
            } },
        { "DeleteSecurityGroup", i =>
            {
                var group = _ec2.ResolveGroup(i.Scope, i.String("GroupId"), i.String("GroupName"));
                _ec2.DeleteSecurityGroup(i.Scope, group.GroupId, null);
                return new JsonObject { ["return"] = true, ["groupId"] = group.GroupId };
            } },
        { "AuthorizeSecurityGroupIngress", i => Authorize(i, egress: false) },
        { "AuthorizeSecurityGroupEgress", i => Authorize(i, egress: true) },
        { "RevokeSecurityGroupIngress", i => Revoke(i, egress: false) },
        { "RevokeSecurityGroupEgress", i => Revoke(i, egress: true) },
        { "DescribeSecurityGroupRules", i => new JsonObject
            {
                ["securityGroupRuleSet"] = List(_ec2.DescribeSecurityGroupRules(i.Scope, i.Strings("SecurityGroupRuleId"), Filters(i)), r => RuleBody(i.Scope, r.Group, r.Rule)),
            } },

        { "CreateInternetGateway", i => new JsonObject { ["internetGateway"] = GatewayBody(i.Scope, _ec2.CreateInternetGateway(i.Scope, Tags(i, "internet-gateway"))) } },
        { "DescribeInternetGateways", i => new JsonObject
            {
                ["internetGatewaySet"] = List(_ec2.DescribeInternetGateways(i.Scope, i.Strings("InternetGatewayId"), Filters(i)), g => GatewayBody(i.Scope, g)),
            } },
        { "DeleteInternetGateway", i => Run(() => _ec2.DeleteInternetGateway(i.Scope, Required(i, "InternetGatewayId"))) },
        { "AttachInternetGateway", i => Run(() => _ec2.AttachInternetGateway(i.Scope, Required(i, "InternetGatewayId"), Required(i, "VpcId"))) },
        { "DetachInternetGateway", i => Run(() => _ec2.DetachInternetGateway(i.Scope, Required(i, "InternetGatewayId"), Required(i, "VpcId"))) },

        { "CreateRouteTable", i => new JsonObject { ["routeTable"] = RouteTableBody(i.Scope, _ec2.CreateRouteTable(i.Scope, i.String("VpcId"), Tags(i, "route-table"))) } },
        { "DescribeRouteTables", i => new JsonObject
            {
                ["routeTableSet"] = List(_ec2.DescribeRouteTables(i.Scope, i.Strings("RouteTableId"), Filters(i)), t => RouteTableBody(i.Scope, t)),
            } },
        { "DeleteRouteTable", i => Run(() => _ec2.DeleteRouteTable(i.Scope, Required(i, "RouteTableId"))) },
        { "CreateRoute", i => Run(() => _ec2.CreateRoute(i.Scope, Required(i, "RouteTableId"), i.String("DestinationCidrBlock"), i.String("GatewayId"), i.String("NatGatewayId"))) },
        { "DeleteRoute", i => Run(() => _ec2.DeleteRoute(i.Scope, Required(i, "RouteTableId"), i.String("DestinationCidrBlock"))) },
        { "AssociateRouteTable", i => new JsonObject
            {
                ["associationId"] = _ec2.AssociateRouteTable(i.Scope, Required(i, "RouteTableId"), Required(i, "SubnetId")),
                ["associationState"] = new JsonObject { ["state"] = "associated" },
            } },
        { "DisassociateRouteTable", i => Run(() => _ec2.DisassociateRouteTable(i.Scope, Required(i, "AssociationId"))) },

        { "AllocateAddress", i =>
            {
                var address = _ec2.AllocateAddress(i.Scope, i.String("Domain"), Tags(i, "elastic-ip"));
                return new JsonObject
                {
                    ["publicIp"] = address.PublicIp,
                    ["allocationId"] = address.AllocationId,
                    ["domain"] = "vpc",
                    ["networkBorderGroup"] = i.Scope.Region,
                    ["publicIpv4Pool"] = "amazon",
                };
            } },
        { "DescribeAddresses", i => new JsonObject
            {
                ["addressesSet"] = List(_ec2.DescribeAddresses(i.Scope, i.Strings("AllocationId"), i.Strings("PublicIp"), Filters(i)), a => AddressBody(i.Scope, a)),
            } },
        { "ReleaseAddress", i => Run(() => _ec2.ReleaseAddress(i.Scope, i.String("AllocationId"))) },
        { "CreateNatGateway", i => new JsonObject
            {
                ["clientToken"] = i.String("ClientToken"),
                ["natGateway"] = NatBody(i.Scope, _ec2.CreateNatGateway(i.Scope, i.String("SubnetId"), i.String("AllocationId"), i.String("ConnectivityType"), Tags(i, "natgateway"))),
            } },
        { "DescribeNatGateways", i => new JsonObject
            {
                // DescribeNatGateways alone names its filters "Filter" by member name; the rest by locationName. Both arrive as Filter.N.
                ["natGatewaySet"] = List(_ec2.DescribeNatGateways(i.Scope, i.Strings("NatGatewayId"), Filters(i)), n => NatBody(i.Scope, n)),
            } },
        { "DeleteNatGateway", i => new JsonObject { ["natGatewayId"] = _ec2.DeleteNatGateway(i.Scope, Required(i, "NatGatewayId")).NatGatewayId } },

        { "CreateTags", i => Run(() => _ec2.CreateTags(i.Scope, i.Strings("ResourceId"), Ec2Tags.Read(i, "Tag"))) },
        { "DeleteTags", i => Run(() => _ec2.DeleteTags(i.Scope, i.Strings("ResourceId"),
            ((IInputReader)i).Objects("Tag").Select(t => (t.String("Key") ?? throw Ec2Errors.MissingParameter("Tag.Key"), t.String("Value"))).ToList())) },
        { "DescribeTags", i => new JsonObject
            {
                ["tagSet"] = List(_ec2.DescribeTags(i.Scope, Filters(i)), t => new JsonObject
                {
                    ["resourceId"] = t.ResourceId,
                    ["resourceType"] = t.ResourceType,
                    ["key"] = t.Tag.Key,
                    ["value"] = t.Tag.Value,
                }),
            } },
    };

    // ---- operations with more than one call ----

    private JsonObject DescribeAvailabilityZones(OperationInput i)
    {
        var region = i.Scope.Region;
        var names = i.Strings("ZoneName");
        var ids = i.Strings("ZoneId");
        var zones = _ec2.AvailabilityZones(i.Scope)
            .Where(z => (names.Count == 0 || names.Contains(z)) && (ids.Count == 0 || ids.Contains(Ec2Rules.ZoneId(region, z))));
        foreach (var filter in Filters(i))
        {
            Func<string, string> field = filter.Name switch
            {
                "zone-name" => z => z,
                "zone-id" => z => Ec2Rules.ZoneId(region, z),
                "state" => _ => "available",
                "region-name" or "group-name" or "network-border-group" => _ => region,
                "zone-type" => _ => "availability-zone",
                "opt-in-status" => _ => "opt-in-not-required",
                _ => throw Ec2Errors.InvalidFilter(filter.Name),
            };
            zones = zones.Where(z => Ec2Rules.Matches(filter.Values, [field(z)])).ToList();
        }
        return new JsonObject
        {
            ["availabilityZoneInfo"] = List(zones.ToList(), z => new JsonObject
            {
                ["zoneState"] = "available",
                ["optInStatus"] = "opt-in-not-required",
                ["messageSet"] = new JsonArray(),
                ["regionName"] = region,
                ["zoneName"] = z,
                ["zoneId"] = Ec2Rules.ZoneId(region, z),
                ["groupName"] = region,
                ["networkBorderGroup"] = region,
                ["zoneType"] = "availability-zone",
            }),
        };
    }

    private JsonObject DescribeAccountAttributes(OperationInput i)
    {
        var defaultVpc = _ec2.Default(i.Scope).Vpc.VpcId;
        var attributes = new (string Name, string Value)[]
        {
            ("supported-platforms", "VPC"),
            ("default-vpc", defaultVpc),
            ("max-elastic-ips", Ec2Rules.MaxAddresses.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("vpc-max-elastic-ips", Ec2Rules.MaxAddresses.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        };
        var wanted = i.Strings("AttributeName");
        return new JsonObject
        {
            ["accountAttributeSet"] = List(attributes.Where(a => wanted.Count == 0 || wanted.Contains(a.Name)).ToList(), a => new JsonObject
            {
                ["attributeName"] = a.Name,
                ["attributeValueSet"] = new JsonArray(new JsonObject { ["attributeValue"] = a.Value }),
            }),
        };
    }

    private JsonObject DescribeVpcAttribute(OperationInput i)
    {
        var vpc = _ec2.GetVpc(i.Scope, Required(i, "VpcId"));
        var attribute = i.String("Attribute") ?? throw Ec2Errors.MissingParameter("attribute");
        var value = attribute switch
        {
            "enableDnsSupport" => vpc.EnableDnsSupport,
            "enableDnsHostnames" => vpc.EnableDnsHostnames,
            "enableNetworkAddressUsageMetrics" => false,
            _ => throw Ec2Errors.UnsupportedAttribute(attribute),
        };
        return new JsonObject { ["vpcId"] = vpc.VpcId, [attribute] = new JsonObject { ["value"] = value } };
    }

    private JsonObject Authorize(OperationInput i, bool egress)
    {
        var group = _ec2.ResolveGroup(i.Scope, i.String("GroupId"), egress ? null : i.String("GroupName"));
        var rules = _ec2.Authorize(i.Scope, group, egress, Permissions(i), Tags(i, "security-group-rule"));
        return new JsonObject { ["return"] = true, ["securityGroupRuleSet"] = List(rules, r => RuleBody(i.Scope, group, r)) };
    }

    private JsonObject Revoke(OperationInput i, bool egress)
    {
        var group = _ec2.ResolveGroup(i.Scope, i.String("GroupId"), egress ? null : i.String("GroupName"));
        _ec2.Revoke(i.Scope, group, egress, i.Has("SecurityGroupRuleId") ? [] : Permissions(i), i.Strings("SecurityGroupRuleId"));
        return Done();
    }

    /// <summary>IpPermissions.N, or the older single-rule members (IpProtocol, FromPort, ToPort, CidrIp) AWS still takes.</summary>
    private static IReadOnlyList<IpPermission> Permissions(OperationInput i)
    {
        var listed = ((IInputReader)i).Objects("IpPermissions").Select(IpPermission.Read).ToList();
        if (listed.Count > 0 || i.String("IpProtocol") is not { } protocol) return listed;
        return [new IpPermission
        {
            IpProtocol = protocol,
            FromPort = i.Int("FromPort"),
            ToPort = i.Int("ToPort"),
            Ipv4Ranges = i.String("CidrIp") is { } cidr ? [(cidr, null)] : [],
        }];
    }

    // ---- response shapes ----

    private JsonObject VpcBody(Scope scope, Vpc v) => WithTags(scope, v.VpcId, new JsonObject
    {
        ["vpcId"] = v.VpcId,
        ["ownerId"] = v.AccountId,
        ["state"] = "available",
        ["cidrBlock"] = v.CidrBlock,
        ["cidrBlockAssociationSet"] = new JsonArray(new JsonObject
        {
            ["associationId"] = v.CidrBlockAssociationId,
            ["cidrBlock"] = v.CidrBlock,
            ["cidrBlockState"] = new JsonObject { ["state"] = "associated" },
        }),
        ["ipv6CidrBlockAssociationSet"] = new JsonArray(),
        ["dhcpOptionsId"] = v.DhcpOptionsId,
        ["instanceTenancy"] = v.InstanceTenancy,
        ["isDefault"] = v.IsDefault,
    });

    private JsonObject SubnetBody(Scope scope, Subnet s)
    {
        var cidr = Cidr.Parse(s.CidrBlock)!.Value;
        return WithTags(scope, s.SubnetId, new JsonObject
        {
            ["subnetId"] = s.SubnetId,
            ["subnetArn"] = s.Arn,
            ["state"] = "available",
            ["ownerId"] = s.AccountId,
            ["vpcId"] = s.VpcId,
            ["cidrBlock"] = s.CidrBlock,
            ["ipv6CidrBlockAssociationSet"] = new JsonArray(),
            // A subnet's size less the five addresses AWS reserves in each; nothing is placed in it.
            ["availableIpAddressCount"] = (long)(cidr.Last - cidr.Network + 1) - 5,
            ["availabilityZone"] = s.AvailabilityZone,
            ["availabilityZoneId"] = s.AvailabilityZoneId,
            ["defaultForAz"] = s.DefaultForAz,
            ["mapPublicIpOnLaunch"] = s.MapPublicIpOnLaunch,
            ["assignIpv6AddressOnCreation"] = false,
            ["ipv6Native"] = false,
            ["enableDns64"] = false,
            ["mapCustomerOwnedIpOnLaunch"] = false,
            ["privateDnsNameOptionsOnLaunch"] = new JsonObject
            {
                ["hostnameType"] = "ip-name",
                ["enableResourceNameDnsARecord"] = false,
                ["enableResourceNameDnsAAAARecord"] = false,
            },
        });
    }

    private JsonObject GroupBody(Scope scope, SecurityGroup g) => WithTags(scope, g.GroupId, new JsonObject
    {
        ["ownerId"] = g.AccountId,
        ["groupId"] = g.GroupId,
        ["groupName"] = g.GroupName,
        ["groupDescription"] = g.Description,
        ["vpcId"] = g.VpcId,
        ["securityGroupArn"] = g.Arn,
        ["ipPermissions"] = Permissions(g, egress: false),
        ["ipPermissionsEgress"] = Permissions(g, egress: true),
    });

    /// <summary>Rules gathered into IpPermissions as DescribeSecurityGroups shows them: one per protocol and port range, with all its peers.</summary>
    private static JsonArray Permissions(SecurityGroup g, bool egress) => new(g.Rules.Where(r => r.IsEgress == egress)
        .GroupBy(r => (r.IpProtocol, r.FromPort, r.ToPort))
        .Select(rules => (JsonNode)new JsonObject
        {
            ["ipProtocol"] = rules.Key.IpProtocol,
            ["fromPort"] = rules.Key.FromPort,
            ["toPort"] = rules.Key.ToPort,
            ["groups"] = new JsonArray(rules.Where(r => r.ReferencedGroupId is not null).Select(r => (JsonNode)new JsonObject
            {
                ["userId"] = g.AccountId,
                ["groupId"] = r.ReferencedGroupId,
                ["description"] = r.Description,
            }).ToArray()),
            ["ipRanges"] = new JsonArray(rules.Where(r => r.CidrIpv4 is not null).Select(r => (JsonNode)new JsonObject
            {
                ["cidrIp"] = r.CidrIpv4,
                ["description"] = r.Description,
            }).ToArray()),
            ["ipv6Ranges"] = new JsonArray(rules.Where(r => r.CidrIpv6 is not null).Select(r => (JsonNode)new JsonObject
            {
                ["cidrIpv6"] = r.CidrIpv6,
                ["description"] = r.Description,
            }).ToArray()),
            ["prefixListIds"] = new JsonArray(rules.Where(r => r.PrefixListId is not null).Select(r => (JsonNode)new JsonObject
            {
                ["prefixListId"] = r.PrefixListId,
                ["description"] = r.Description,
            }).ToArray()),
        }).ToArray());

    private JsonObject RuleBody(Scope scope, SecurityGroup g, SecurityGroupRule r) => WithTags(scope, r.RuleId, new JsonObject
    {
        ["securityGroupRuleId"] = r.RuleId,
        ["groupId"] = g.GroupId,
        ["groupOwnerId"] = g.AccountId,
        ["isEgress"] = r.IsEgress,
        ["ipProtocol"] = r.IpProtocol,
        ["fromPort"] = r.FromPort ?? -1,
        ["toPort"] = r.ToPort ?? -1,
        ["cidrIpv4"] = r.CidrIpv4,
        ["cidrIpv6"] = r.CidrIpv6,
        ["prefixListId"] = r.PrefixListId,
        ["referencedGroupInfo"] = r.ReferencedGroupId is null ? null : new JsonObject { ["groupId"] = r.ReferencedGroupId, ["userId"] = g.AccountId },
        ["description"] = r.Description,
        ["securityGroupRuleArn"] = $"arn:aws:ec2:{g.Region}:{g.AccountId}:security-group-rule/{r.RuleId}",
    });

    private JsonObject GatewayBody(Scope scope, InternetGateway g) => WithTags(scope, g.InternetGatewayId, new JsonObject
    {
        ["internetGatewayId"] = g.InternetGatewayId,
        ["ownerId"] = g.AccountId,
        ["attachmentSet"] = g.AttachedVpcId is null ? new JsonArray()
            : new JsonArray(new JsonObject { ["vpcId"] = g.AttachedVpcId, ["state"] = "available" }),
    });

    private JsonObject RouteTableBody(Scope scope, RouteTable t) => WithTags(scope, t.RouteTableId, new JsonObject
    {
        ["routeTableId"] = t.RouteTableId,
        ["vpcId"] = t.VpcId,
        ["ownerId"] = t.AccountId,
        ["routeSet"] = new JsonArray(t.Routes.Select(r => (JsonNode)new JsonObject
        {
            ["destinationCidrBlock"] = r.DestinationCidrBlock,
            ["gatewayId"] = r.GatewayId,
            ["natGatewayId"] = r.NatGatewayId,
            ["state"] = "active",
            ["origin"] = r.Origin,
        }).ToArray()),
        ["associationSet"] = new JsonArray(t.Associations.Select(a => (JsonNode)new JsonObject
        {
            ["main"] = a.Main,
            ["routeTableAssociationId"] = a.AssociationId,
            ["routeTableId"] = t.RouteTableId,
            ["subnetId"] = a.SubnetId,
            ["gatewayId"] = a.GatewayId,
            ["associationState"] = new JsonObject { ["state"] = "associated" },
        }).ToArray()),
        ["propagatingVgwSet"] = new JsonArray(),
    });

    private JsonObject AddressBody(Scope scope, ElasticIp a) => WithTags(scope, a.AllocationId, new JsonObject
    {
        ["publicIp"] = a.PublicIp,
        ["allocationId"] = a.AllocationId,
        ["associationId"] = a.AssociationId,
        ["domain"] = "vpc",
        ["publicIpv4Pool"] = "amazon",
        ["networkBorderGroup"] = a.Region,
    });

    private JsonObject NatBody(Scope scope, NatGateway n) => WithTags(scope, n.NatGatewayId, new JsonObject
    {
        ["createTime"] = n.CreateTime,
        ["deleteTime"] = n.DeleteTime,
        ["natGatewayAddressSet"] = new JsonArray(new JsonObject
        {
            ["allocationId"] = n.AllocationId,
            ["privateIp"] = n.PrivateIp,
            ["publicIp"] = n.PublicIp,
            ["isPrimary"] = true,
            ["status"] = n.State == "deleted" ? "disassociated" : "succeeded",
        }),
        ["natGatewayId"] = n.NatGatewayId,
        ["state"] = n.State,
        ["subnetId"] = n.SubnetId,
        ["vpcId"] = n.VpcId,
        ["connectivityType"] = n.ConnectivityType,
    });

    /// <summary>Adds tagSet when the resource has tags; EC2 leaves it out otherwise.</summary>
    private JsonObject WithTags(Scope scope, string resourceId, JsonObject body)
    {
        if (TagSet(scope, resourceId) is { } tags) body["tagSet"] = tags;
        return body;
    }

    private JsonArray? TagSet(Scope scope, string resourceId) => _ec2.TagsOf(scope, resourceId) is { Count: > 0 } tags
        ? new JsonArray(tags.Select(t => (JsonNode)new JsonObject { ["key"] = t.Key, ["value"] = t.Value }).ToArray())
        : null;

    // ---- request members ----

    private static JsonArray List<T>(IReadOnlyList<T> items, Func<T, JsonObject> render) =>
        new(items.Select(item => (JsonNode)render(item)).ToArray());

    private static JsonObject Run(Action action)
    {
        action();
        return Done();
    }

    private static string Required(OperationInput i, string name) =>
        i.String(name) ?? throw Ec2Errors.MissingParameter(char.ToLowerInvariant(name[0]) + name[1..]);

    private static OperationInput Nested(OperationInput i, JsonObject member) => i.Nested(member);

    private static IReadOnlyList<Ec2Filter> Filters(OperationInput i) => ((IInputReader)i).Objects("Filter")
        .Select(f => new Ec2Filter(f.String("Name") ?? throw Ec2Errors.MissingParameter("Filter.Name"), f.Strings("Value")))
        .ToList();

    private static IReadOnlyList<Ec2Tag> Tags(OperationInput i, string resourceType) => TagSpecification.For(TagSpecification.Read(i), resourceType);
}
