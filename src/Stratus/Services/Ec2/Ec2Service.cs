using Stratus.Persistence;
using Stratus.Protocols;

namespace Stratus.Services.Ec2;

/// <summary>
/// The VPC networking objects other services place resources in and templates create: VPCs, subnets,
/// security groups and their rules, internet gateways, route tables, NAT gateways and Elastic IPs, each
/// account and region starting with AWS's default VPC. They are records: checked and related as AWS
/// relates them (a subnet inside its VPC's range, a VPC not deleted while it has subnets), but no packet
/// goes through them.
/// </summary>
public sealed class Ec2Service : IVpcNetwork
{
    private readonly ResourceTable<Vpc> _vpcs;
    private readonly ResourceTable<Subnet> _subnets;
    private readonly ResourceTable<SecurityGroup> _groups;
    private readonly ResourceTable<InternetGateway> _gateways;
    private readonly ResourceTable<RouteTable> _routeTables;
    private readonly ResourceTable<NatGateway> _natGateways;
    private readonly ResourceTable<ElasticIp> _addresses;
    private readonly ResourceTable<Ec2TagSet> _tags;
    private readonly TimeProvider _clock;
    // Compound changes (a subnet's range checked against its siblings, a VPC deleted only when empty) happen under one lock.
    private readonly Lock _gate = new();

    public Ec2Service(StateStore store, TimeProvider clock)
    {
        _clock = clock;
        _vpcs = new ResourceTable<Vpc>(store, "ec2.vpcs");
        _subnets = new ResourceTable<Subnet>(store, "ec2.subnets");
        _groups = new ResourceTable<SecurityGroup>(store, "ec2.securityGroups");
        _gateways = new ResourceTable<InternetGateway>(store, "ec2.internetGateways");
        _routeTables = new ResourceTable<RouteTable>(store, "ec2.routeTables");
        _natGateways = new ResourceTable<NatGateway>(store, "ec2.natGateways");
        _addresses = new ResourceTable<ElasticIp>(store, "ec2.addresses");
        _tags = new ResourceTable<Ec2TagSet>(store, "ec2.tags");
    }

    private static string Key(Scope scope, string id) => ResourceTable<Vpc>.Key(scope.AccountId, scope.Region, id);

    private static IEnumerable<T> InScope<T>(ResourceTable<T> table, Scope scope, Func<T, (string AccountId, string Region)> where) where T : class =>
        table.Values.Where(item => where(item) == (scope.AccountId, scope.Region));

    // ---- the default VPC ----

    /// <summary>
    /// The account's default VPC in the region, made on first use as AWS makes it: 172.31.0.0/16, a /20
    /// default subnet in each Availability Zone, an attached internet gateway, a main route table routing
    /// 0.0.0.0/0 to it, and the "default" security group.
    /// </summary>
    public DefaultNetwork Default(Scope scope)
    {
        var vpcId = Ec2Ids.Stable("vpc-", scope.AccountId, scope.Region, "vpc");
        if (_vpcs.Get(Key(scope, vpcId)) is not { } vpc)
            lock (_gate)
                vpc = _vpcs.Get(Key(scope, vpcId)) ?? CreateDefaultVpc(scope, vpcId);
        var subnets = InScope(_subnets, scope, s => (s.AccountId, s.Region)).Where(s => s.VpcId == vpc.VpcId && s.DefaultForAz)
            .OrderBy(s => s.AvailabilityZone, StringComparer.Ordinal).ToList();
        return new DefaultNetwork(vpc, subnets, _groups.Get(Key(scope, vpc.DefaultSecurityGroupId))!);
    }

    private Vpc CreateDefaultVpc(Scope scope, string vpcId)
    {
        string Stable(string prefix, string part) => Ec2Ids.Stable(prefix, scope.AccountId, scope.Region, part);
        var vpc = NewVpc(scope, vpcId, Cidr.Parse(Ec2Rules.DefaultVpcCidr)!.Value, "default", isDefault: true,
            // The ids RDS reported for the default VPC's security group before EC2 existed.
            groupId: Stable("sg-", "sg-default"), routeTableId: Stable("rtb-", "rtb-main")) with { EnableDnsHostnames = true };
        var gatewayId = Stable("igw-", "igw");
        _gateways.Put(Key(scope, gatewayId), new InternetGateway { AccountId = scope.AccountId, Region = scope.Region, InternetGatewayId = gatewayId, AttachedVpcId = vpcId });
        _routeTables.Update(Key(scope, vpc.MainRouteTableId), t => t with { Routes = [.. t.Routes, new Route { DestinationCidrBlock = "0.0.0.0/0", GatewayId = gatewayId, Origin = "CreateRoute" }] });
        var network = Cidr.Parse(Ec2Rules.DefaultVpcCidr)!.Value;
        var zones = Ec2Rules.AvailabilityZones(scope.Region);
        for (var i = 0; i < zones.Count; i++)
        {
            var subnetId = Stable("subnet-", zones[i]);
            _subnets.Put(Key(scope, subnetId), new Subnet
            {
                AccountId = scope.AccountId,
                Region = scope.Region,
                SubnetId = subnetId,
                VpcId = vpcId,
                CidrBlock = new Cidr(network.Network + (uint)(i * 4096), 20).ToString(),
                AvailabilityZone = zones[i],
                AvailabilityZoneId = Ec2Rules.ZoneId(scope.Region, zones[i]),
                DefaultForAz = true,
                MapPublicIpOnLaunch = true,
            });
        }
        _vpcs.Put(Key(scope, vpcId), vpc);
        return vpc;
    }

    // ---- VPCs ----

    public Vpc CreateVpc(Scope scope, string? cidrBlock, string? tenancy, IReadOnlyList<Ec2Tag> tags)
    {
        var cidr = Ec2Rules.VpcCidr(cidrBlock);
        tenancy ??= "default";
        if (tenancy is not ("default" or "dedicated"))
            throw Ec2Errors.InvalidParameterValue($"Value ({tenancy}) for parameter instanceTenancy is invalid. Valid values are default and dedicated.");
        Default(scope);
        lock (_gate)
        {
            var vpc = NewVpc(scope, Ec2Ids.New("vpc-"), cidr, tenancy, isDefault: false, Ec2Ids.New("sg-"), Ec2Ids.New("rtb-"));
            _vpcs.Put(Key(scope, vpc.VpcId), vpc);
            SetTags(scope, vpc.VpcId, tags);
            return vpc;
        }
    }

    /// <summary>A VPC with what AWS creates alongside it: its default security group and main route table.</summary>
    private Vpc NewVpc(Scope scope, string vpcId, Cidr cidr, string tenancy, bool isDefault, string groupId, string routeTableId)
    {
        _groups.Put(Key(scope, groupId), new SecurityGroup
        {
            AccountId = scope.AccountId,
            Region = scope.Region,
            GroupId = groupId,
            GroupName = "default",
            Description = "default VPC security group",
            VpcId = vpcId,
            // AWS's default group: all traffic from members of the group, all traffic out.
            Rules =
            [
                new SecurityGroupRule { RuleId = Ec2Ids.New("sgr-"), IsEgress = false, IpProtocol = "-1", ReferencedGroupId = groupId },
                AllOutbound(),
            ],
        });
        _routeTables.Put(Key(scope, routeTableId), new RouteTable
        {
            AccountId = scope.AccountId,
            Region = scope.Region,
            RouteTableId = routeTableId,
            VpcId = vpcId,
            Routes = [new Route { DestinationCidrBlock = cidr.ToString(), GatewayId = "local", Origin = "CreateRouteTable" }],
            Associations = [new RouteTableAssociation(Ec2Ids.New("rtbassoc-"), Main: true, null, null)],
        });
        return new Vpc
        {
            AccountId = scope.AccountId,
            Region = scope.Region,
            VpcId = vpcId,
            CidrBlock = cidr.ToString(),
            CidrBlockAssociationId = Ec2Ids.New("vpc-cidr-assoc-"),
            IsDefault = isDefault,
            InstanceTenancy = tenancy,
            DhcpOptionsId = Ec2Ids.Stable("dopt-", scope.AccountId, scope.Region, "dhcp"),
            DefaultSecurityGroupId = groupId,
            MainRouteTableId = routeTableId,
            DefaultNetworkAclId = Ec2Ids.New("acl-"),
        };
    }

    private static SecurityGroupRule AllOutbound() =>
        new() { RuleId = Ec2Ids.New("sgr-"), IsEgress = true, IpProtocol = "-1", CidrIpv4 = "0.0.0.0/0" };

    public Vpc GetVpc(Scope scope, string vpcId) => Existing(scope, _vpcs, vpcId);

    public string DefaultSecurityGroupOf(Scope scope, string vpcId) => GetVpc(scope, vpcId).DefaultSecurityGroupId;

    public IReadOnlyList<Vpc> DescribeVpcs(Scope scope, IReadOnlyList<string> ids, IReadOnlyList<Ec2Filter> filters)
    {
        Default(scope);
        var vpcs = Select(scope, _vpcs, v => (v.AccountId, v.Region), v => v.VpcId, ids);
        return Filter(scope, vpcs, v => v.VpcId, filters, (v, name) => name switch
        {
            "vpc-id" => [v.VpcId],
            "cidr" or "cidr-block-association.cidr-block" => [v.CidrBlock],
            "cidr-block-association.association-id" => [v.CidrBlockAssociationId],
            "cidr-block-association.state" => ["associated"],
            "is-default" => [Bool(v.IsDefault)],
            "state" => ["available"],
            "owner-id" => [v.AccountId],
            "dhcp-options-id" => [v.DhcpOptionsId],
            _ => null,
        });
    }

    public void DeleteVpc(Scope scope, string vpcId)
    {
        lock (_gate)
        {
            var vpc = GetVpc(scope, vpcId);
            var dependents = InScope(_subnets, scope, s => (s.AccountId, s.Region)).Any(s => s.VpcId == vpcId)
                || InScope(_groups, scope, g => (g.AccountId, g.Region)).Any(g => g.VpcId == vpcId && g.GroupId != vpc.DefaultSecurityGroupId)
                || InScope(_routeTables, scope, t => (t.AccountId, t.Region)).Any(t => t.VpcId == vpcId && t.RouteTableId != vpc.MainRouteTableId)
                || InScope(_gateways, scope, g => (g.AccountId, g.Region)).Any(g => g.AttachedVpcId == vpcId)
                || InScope(_natGateways, scope, n => (n.AccountId, n.Region)).Any(n => n.VpcId == vpcId && n.State != "deleted");
            if (dependents) throw Ec2Errors.DependencyViolation("vpc", vpcId);
            _groups.Remove(Key(scope, vpc.DefaultSecurityGroupId));
            _routeTables.Remove(Key(scope, vpc.MainRouteTableId));
            _vpcs.Remove(Key(scope, vpcId));
            RemoveTags(scope, vpcId, vpc.DefaultSecurityGroupId, vpc.MainRouteTableId);
        }
    }

    public Vpc ModifyVpcAttribute(Scope scope, string vpcId, bool? enableDnsSupport, bool? enableDnsHostnames)
    {
        if (enableDnsSupport is not null && enableDnsHostnames is not null)
            throw Ec2Errors.InvalidParameterCombination("Only one attribute can be modified at a time.");
        lock (_gate)
        {
            var vpc = GetVpc(scope, vpcId);
            var next = vpc with
            {
                EnableDnsSupport = enableDnsSupport ?? vpc.EnableDnsSupport,
                EnableDnsHostnames = enableDnsHostnames ?? vpc.EnableDnsHostnames,
            };
            // As AWS: DNS hostnames need DNS support.
            if (next.EnableDnsHostnames && !next.EnableDnsSupport)
                throw Ec2Errors.InvalidParameterValue("Cannot enable DNS hostnames without DNS support.");
            _vpcs.Put(Key(scope, vpcId), next);
            return next;
        }
    }

    // ---- subnets ----

    public Subnet CreateSubnet(Scope scope, string? vpcId, string? cidrBlock, string? zone, string? zoneId, IReadOnlyList<Ec2Tag> tags)
    {
        if (vpcId is null) throw Ec2Errors.MissingParameter("vpcId");
        var zones = Ec2Rules.AvailabilityZones(scope.Region);
        if (zone is null && zoneId is not null)
            zone = zones.FirstOrDefault(z => Ec2Rules.ZoneId(scope.Region, z) == zoneId)
                ?? throw Ec2Errors.InvalidParameterValue($"Value ({zoneId}) for parameter availabilityZoneId is invalid.");
        if (zone is not null && !zones.Contains(zone)) throw Ec2Errors.InvalidAvailabilityZone(zone, zones);
        lock (_gate)
        {
            var vpc = GetVpc(scope, vpcId);
            var cidr = Ec2Rules.SubnetCidr(cidrBlock, Cidr.Parse(vpc.CidrBlock)!.Value);
            if (InScope(_subnets, scope, s => (s.AccountId, s.Region)).Any(s => s.VpcId == vpcId && Cidr.Parse(s.CidrBlock)!.Value.Overlaps(cidr)))
                throw Ec2Errors.SubnetConflict(cidrBlock!);
            // Without a zone, AWS picks one; Stratus takes the zone with fewest of the VPC's subnets.
            zone ??= zones.OrderBy(z => _subnets.Values.Count(s => s.VpcId == vpcId && s.AvailabilityZone == z)).First();
            var subnet = new Subnet
            {
                AccountId = scope.AccountId,
                Region = scope.Region,
                SubnetId = Ec2Ids.New("subnet-"),
                VpcId = vpcId,
                CidrBlock = cidr.ToString(),
                AvailabilityZone = zone,
                AvailabilityZoneId = Ec2Rules.ZoneId(scope.Region, zone),
            };
            _subnets.Put(Key(scope, subnet.SubnetId), subnet);
            SetTags(scope, subnet.SubnetId, tags);
            return subnet;
        }
    }

    public Subnet GetSubnet(Scope scope, string subnetId) => Existing(scope, _subnets, subnetId);

    public Subnet? FindSubnet(Scope scope, string subnetId)
    {
        Default(scope);
        return _subnets.Get(Key(scope, subnetId));
    }

    public IReadOnlyList<Subnet> DescribeSubnets(Scope scope, IReadOnlyList<string> ids, IReadOnlyList<Ec2Filter> filters)
    {
        Default(scope);
        var subnets = Select(scope, _subnets, s => (s.AccountId, s.Region), s => s.SubnetId, ids);
        return Filter(scope, subnets, s => s.SubnetId, filters, (s, name) => name switch
        {
            "subnet-id" => [s.SubnetId],
            "vpc-id" => [s.VpcId],
            "cidr" or "cidr-block" or "cidrBlock" => [s.CidrBlock],
            "availability-zone" or "availabilityZone" => [s.AvailabilityZone],
            "availability-zone-id" => [s.AvailabilityZoneId],
            "default-for-az" or "defaultForAz" => [Bool(s.DefaultForAz)],
            "map-public-ip-on-launch" => [Bool(s.MapPublicIpOnLaunch)],
            "state" => ["available"],
            "owner-id" => [s.AccountId],
            "subnet-arn" => [s.Arn],
            _ => null,
        });
    }

    public Subnet ModifySubnetAttribute(Scope scope, string subnetId, bool? mapPublicIpOnLaunch)
    {
        lock (_gate)
        {
            var subnet = GetSubnet(scope, subnetId);
            var next = subnet with { MapPublicIpOnLaunch = mapPublicIpOnLaunch ?? subnet.MapPublicIpOnLaunch };
            _subnets.Put(Key(scope, subnetId), next);
            return next;
        }
    }

    public void DeleteSubnet(Scope scope, string subnetId)
    {
        lock (_gate)
        {
            GetSubnet(scope, subnetId);
            if (InScope(_natGateways, scope, n => (n.AccountId, n.Region)).Any(n => n.SubnetId == subnetId && n.State != "deleted"))
                throw Ec2Errors.DependencyViolation("subnet", subnetId);
            // Deleting a subnet ends its route table association, as on AWS.
            foreach (var table in InScope(_routeTables, scope, t => (t.AccountId, t.Region)).Where(t => t.Associations.Any(a => a.SubnetId == subnetId)).ToList())
                _routeTables.Put(Key(scope, table.RouteTableId), table with { Associations = table.Associations.Where(a => a.SubnetId != subnetId).ToList() });
            _subnets.Remove(Key(scope, subnetId));
            RemoveTags(scope, subnetId);
        }
    }

    // ---- security groups ----

    public SecurityGroup CreateSecurityGroup(Scope scope, string? groupName, string? description, string? vpcId, IReadOnlyList<Ec2Tag> tags)
    {
        if (groupName is null) throw Ec2Errors.MissingParameter("groupName");
        Ec2Rules.GroupName(groupName);
        Ec2Rules.GroupDescription(description);
        var network = Default(scope);
        lock (_gate)
        {
            var vpc = vpcId is null ? network.Vpc : GetVpc(scope, vpcId);
            if (InScope(_groups, scope, g => (g.AccountId, g.Region)).Any(g => g.VpcId == vpc.VpcId && g.GroupName == groupName))
                throw Ec2Errors.GroupDuplicate(groupName, vpc.VpcId);
            var group = new SecurityGroup
            {
                AccountId = scope.AccountId,
                Region = scope.Region,
                GroupId = Ec2Ids.New("sg-"),
                GroupName = groupName,
                Description = description!,
                VpcId = vpc.VpcId,
                Rules = [AllOutbound()],
            };
            _groups.Put(Key(scope, group.GroupId), group);
            SetTags(scope, group.GroupId, tags);
            return group;
        }
    }

    public SecurityGroup GetSecurityGroup(Scope scope, string groupId) => Existing(scope, _groups, groupId);

    public SecurityGroup? FindSecurityGroup(Scope scope, string groupId)
    {
        Default(scope);
        return _groups.Get(Key(scope, groupId));
    }

    /// <summary>A group named in the default VPC, as GroupName addresses one (EC2-Classic's way, kept for the default VPC).</summary>
    private SecurityGroup GroupByName(Scope scope, string name)
    {
        var vpc = Default(scope).Vpc;
        return InScope(_groups, scope, g => (g.AccountId, g.Region)).FirstOrDefault(g => g.VpcId == vpc.VpcId && g.GroupName == name)
            ?? throw Ec2Errors.GroupNameNotFound(name, vpc.VpcId);
    }

    public SecurityGroup ResolveGroup(Scope scope, string? groupId, string? groupName) =>
        groupId is not null ? GetSecurityGroup(scope, groupId)
        : groupName is not null ? GroupByName(scope, groupName)
        : throw Ec2Errors.MissingParameter("groupId");

    public IReadOnlyList<SecurityGroup> DescribeSecurityGroups(Scope scope, IReadOnlyList<string> ids, IReadOnlyList<string> names, IReadOnlyList<Ec2Filter> filters)
    {
        Default(scope);
        var groups = Select(scope, _groups, g => (g.AccountId, g.Region), g => g.GroupId, ids);
        if (names.Count > 0) groups = names.Select(n => GroupByName(scope, n)).Where(g => ids.Count == 0 || ids.Contains(g.GroupId)).ToList();
        return Filter(scope, groups, g => g.GroupId, filters, (g, name) => name switch
        {
            "group-id" => [g.GroupId],
            "group-name" => [g.GroupName],
            "description" => [g.Description],
            "vpc-id" => [g.VpcId],
            "owner-id" => [g.AccountId],
            "ip-permission.protocol" => g.Rules.Where(r => !r.IsEgress).Select(r => r.IpProtocol),
            "ip-permission.cidr" => g.Rules.Where(r => !r.IsEgress).Select(r => r.CidrIpv4),
            "ip-permission.group-id" => g.Rules.Where(r => !r.IsEgress).Select(r => r.ReferencedGroupId),
            "egress.ip-permission.cidr" => g.Rules.Where(r => r.IsEgress).Select(r => r.CidrIpv4),
            _ => null,
        });
    }

    public void DeleteSecurityGroup(Scope scope, string? groupId, string? groupName)
    {
        lock (_gate)
        {
            var group = ResolveGroup(scope, groupId, groupName);
            if (group.GroupName == "default") throw Ec2Errors.CannotDeleteDefaultGroup(group.GroupId);
            // As AWS: a group another group's rule references cannot go.
            if (InScope(_groups, scope, g => (g.AccountId, g.Region)).Any(g => g.GroupId != group.GroupId && g.Rules.Any(r => r.ReferencedGroupId == group.GroupId)))
                throw Ec2Errors.GroupInUse(group.GroupId);
            _groups.Remove(Key(scope, group.GroupId));
            RemoveTags(scope, group.GroupId);
        }
    }

    /// <summary>Adds rules (one per peer of each permission), refusing a rule the group already has, as AWS does.</summary>
    public IReadOnlyList<SecurityGroupRule> Authorize(Scope scope, SecurityGroup target, bool egress, IReadOnlyList<IpPermission> permissions, IReadOnlyList<Ec2Tag> tags)
    {
        if (permissions.Count == 0) throw Ec2Errors.MissingParameter("ipPermissions");
        lock (_gate)
        {
            var group = GetSecurityGroup(scope, target.GroupId);
            var added = permissions.SelectMany(p => Rules(scope, p, egress)).ToList();
            foreach (var rule in added)
                if (group.Rules.Any(rule.SameAs) || added.Count(rule.SameAs) > 1) throw Ec2Errors.PermissionDuplicate(rule);
            _groups.Put(Key(scope, group.GroupId), group with { Rules = [.. group.Rules, .. added] });
            foreach (var rule in added) SetTags(scope, rule.RuleId, tags);
            return added;
        }
    }

    /// <summary>Removes the rules matching the permissions, or those with the given rule ids; every one must exist.</summary>
    public void Revoke(Scope scope, SecurityGroup target, bool egress, IReadOnlyList<IpPermission> permissions, IReadOnlyList<string> ruleIds)
    {
        lock (_gate)
        {
            var group = GetSecurityGroup(scope, target.GroupId);
            var removing = new List<SecurityGroupRule>();
            foreach (var rule in permissions.SelectMany(p => Rules(scope, p, egress)))
                removing.Add(group.Rules.FirstOrDefault(r => r.SameAs(rule)) ?? throw Ec2Errors.PermissionNotFound());
            foreach (var ruleId in ruleIds)
                removing.Add(group.Rules.FirstOrDefault(r => r.RuleId == ruleId && r.IsEgress == egress) ?? throw Ec2Errors.RuleNotFound(ruleId));
            _groups.Put(Key(scope, group.GroupId), group with { Rules = group.Rules.Where(r => !removing.Contains(r)).ToList() });
            RemoveTags(scope, [.. removing.Select(r => r.RuleId)]);
        }
    }

    /// <summary>Replaces a group's rules of one direction (a template's inline SecurityGroupIngress/Egress).</summary>
    public SecurityGroup ReplaceRules(Scope scope, string groupId, bool egress, IReadOnlyList<IpPermission> permissions)
    {
        lock (_gate)
        {
            var group = GetSecurityGroup(scope, groupId);
            var kept = group.Rules.Where(r => r.IsEgress != egress).ToList();
            var wanted = new List<SecurityGroupRule>();
            foreach (var rule in permissions.SelectMany(p => Rules(scope, p, egress)))
                if (!wanted.Any(rule.SameAs))
                    wanted.Add(group.Rules.FirstOrDefault(r => r.SameAs(rule)) ?? rule);
            var next = group with { Rules = [.. kept, .. wanted] };
            _groups.Put(Key(scope, groupId), next);
            return next;
        }
    }

    private List<SecurityGroupRule> Rules(Scope scope, IpPermission permission, bool egress)
    {
        var protocol = Ec2Rules.Protocol(permission.IpProtocol);
        int? from = protocol == "-1" ? null : permission.FromPort;
        int? to = protocol == "-1" ? null : permission.ToPort;
        if (protocol is "tcp" or "udp")
        {
            if (from is null || to is null)
                throw Ec2Errors.InvalidParameterValue("Invalid value 'Must specify both from and to ports with TCP/UDP.' for portRange");
            if (from is < 0 or > 65535 || to is < 0 or > 65535 || from > to)
                throw Ec2Errors.InvalidParameterValue($"Invalid value 'Invalid TCP/UDP port range: {from} to {to}' for portRange");
        }
        SecurityGroupRule Rule() => new() { RuleId = Ec2Ids.New("sgr-"), IsEgress = egress, IpProtocol = protocol, FromPort = from, ToPort = to };
        var rules = new List<SecurityGroupRule>();
        rules.AddRange(permission.Ipv4Ranges.Select(r => Rule() with { CidrIpv4 = Ec2Rules.RuleCidr(r.Cidr), Description = r.Description }));
        rules.AddRange(permission.Ipv6Ranges.Select(r => Rule() with { CidrIpv6 = Ec2Rules.RuleCidr(r.Cidr), Description = r.Description }));
        rules.AddRange(permission.Groups.Select(r => Rule() with { ReferencedGroupId = GetSecurityGroup(scope, r.GroupId).GroupId, Description = r.Description }));
        rules.AddRange(permission.PrefixLists.Select(r => Rule() with { PrefixListId = r.PrefixListId, Description = r.Description }));
        if (rules.Count == 0) throw Ec2Errors.MissingParameter("ipPermissions.ipRanges");
        return rules;
    }

    public IReadOnlyList<(SecurityGroup Group, SecurityGroupRule Rule)> DescribeSecurityGroupRules(Scope scope, IReadOnlyList<string> ruleIds, IReadOnlyList<Ec2Filter> filters)
    {
        Default(scope);
        var rules = InScope(_groups, scope, g => (g.AccountId, g.Region)).SelectMany(g => g.Rules.Select(r => (Group: g, Rule: r))).ToList();
        if (ruleIds.Count > 0)
            rules = ruleIds.Select(id => rules.FirstOrDefault(r => r.Rule.RuleId == id) is { Group: not null } found ? found : throw Ec2Errors.RuleNotFound(id)).ToList();
        return Filter(scope, rules, r => r.Rule.RuleId, filters, (r, name) => name switch
        {
            "group-id" => [r.Group.GroupId],
            "security-group-rule-id" => [r.Rule.RuleId],
            _ => null,
        });
    }

    // ---- internet gateways ----

    public InternetGateway CreateInternetGateway(Scope scope, IReadOnlyList<Ec2Tag> tags)
    {
        Default(scope);
        var gateway = new InternetGateway { AccountId = scope.AccountId, Region = scope.Region, InternetGatewayId = Ec2Ids.New("igw-") };
        _gateways.Put(Key(scope, gateway.InternetGatewayId), gateway);
        SetTags(scope, gateway.InternetGatewayId, tags);
        return gateway;
    }

    public InternetGateway GetInternetGateway(Scope scope, string id) => Existing(scope, _gateways, id);

    public IReadOnlyList<InternetGateway> DescribeInternetGateways(Scope scope, IReadOnlyList<string> ids, IReadOnlyList<Ec2Filter> filters)
    {
        Default(scope);
        var gateways = Select(scope, _gateways, g => (g.AccountId, g.Region), g => g.InternetGatewayId, ids);
        return Filter(scope, gateways, g => g.InternetGatewayId, filters, (g, name) => name switch
        {
            "internet-gateway-id" => [g.InternetGatewayId],
            "attachment.vpc-id" => [g.AttachedVpcId],
            "attachment.state" => g.AttachedVpcId is null ? [] : ["available"],
            "owner-id" => [g.AccountId],
            _ => null,
        });
    }

    public void AttachInternetGateway(Scope scope, string gatewayId, string vpcId)
    {
        lock (_gate)
        {
            var gateway = GetInternetGateway(scope, gatewayId);
            GetVpc(scope, vpcId);
            if (gateway.AttachedVpcId is { } attached) throw Ec2Errors.AlreadyAttached(gatewayId, attached);
            if (InScope(_gateways, scope, g => (g.AccountId, g.Region)).Any(g => g.AttachedVpcId == vpcId)) throw Ec2Errors.VpcAlreadyHasGateway(vpcId);
            _gateways.Put(Key(scope, gatewayId), gateway with { AttachedVpcId = vpcId });
        }
    }

    public void DetachInternetGateway(Scope scope, string gatewayId, string vpcId)
    {
        lock (_gate)
        {
            var gateway = GetInternetGateway(scope, gatewayId);
            GetVpc(scope, vpcId);
            if (gateway.AttachedVpcId != vpcId) throw Ec2Errors.GatewayNotAttached(gatewayId, vpcId);
            _gateways.Put(Key(scope, gatewayId), gateway with { AttachedVpcId = null });
        }
    }

    public void DeleteInternetGateway(Scope scope, string gatewayId)
    {
        lock (_gate)
        {
            if (GetInternetGateway(scope, gatewayId).AttachedVpcId is not null) throw Ec2Errors.DependencyViolation("internetGateway", gatewayId);
            _gateways.Remove(Key(scope, gatewayId));
            RemoveTags(scope, gatewayId);
        }
    }

    // ---- route tables ----

    public RouteTable CreateRouteTable(Scope scope, string? vpcId, IReadOnlyList<Ec2Tag> tags)
    {
        if (vpcId is null) throw Ec2Errors.MissingParameter("vpcId");
        lock (_gate)
        {
            var vpc = GetVpc(scope, vpcId);
            var table = new RouteTable
            {
                AccountId = scope.AccountId,
                Region = scope.Region,
                RouteTableId = Ec2Ids.New("rtb-"),
                VpcId = vpcId,
                Routes = [new Route { DestinationCidrBlock = vpc.CidrBlock, GatewayId = "local", Origin = "CreateRouteTable" }],
            };
            _routeTables.Put(Key(scope, table.RouteTableId), table);
            SetTags(scope, table.RouteTableId, tags);
            return table;
        }
    }

    public RouteTable GetRouteTable(Scope scope, string id) => Existing(scope, _routeTables, id);

    public IReadOnlyList<RouteTable> DescribeRouteTables(Scope scope, IReadOnlyList<string> ids, IReadOnlyList<Ec2Filter> filters)
    {
        Default(scope);
        var tables = Select(scope, _routeTables, t => (t.AccountId, t.Region), t => t.RouteTableId, ids);
        return Filter(scope, tables, t => t.RouteTableId, filters, (t, name) => name switch
        {
            "route-table-id" => [t.RouteTableId],
            "vpc-id" => [t.VpcId],
            "association.main" => t.Associations.Select(a => Bool(a.Main)),
            "association.subnet-id" => t.Associations.Select(a => a.SubnetId),
            "association.route-table-association-id" => t.Associations.Select(a => a.AssociationId),
            "route.destination-cidr-block" => t.Routes.Select(r => r.DestinationCidrBlock),
            "route.gateway-id" => t.Routes.Select(r => r.GatewayId),
            "route.nat-gateway-id" => t.Routes.Select(r => r.NatGatewayId),
            "owner-id" => [t.AccountId],
            _ => null,
        });
    }

    public void DeleteRouteTable(Scope scope, string id)
    {
        lock (_gate)
        {
            var table = GetRouteTable(scope, id);
            if (table.Associations.Count > 0) throw Ec2Errors.DependencyViolation("routeTable", id);
            _routeTables.Remove(Key(scope, id));
            RemoveTags(scope, id);
        }
    }

    public void CreateRoute(Scope scope, string routeTableId, string? destination, string? gatewayId, string? natGatewayId)
    {
        if (destination is null) throw Ec2Errors.MissingParameter("destinationCidrBlock");
        var cidr = Cidr.Parse(destination) ?? throw Ec2Errors.InvalidParameterValue($"Value ({destination}) for parameter destinationCidrBlock is invalid. This is not a valid CIDR block.");
        if ((gatewayId is null) == (natGatewayId is null))
            throw Ec2Errors.InvalidParameterCombination("The parameter combination is not valid: exactly one route target (gatewayId, natGatewayId) must be given. Stratus records internet and NAT gateway targets.");
        lock (_gate)
        {
            var table = GetRouteTable(scope, routeTableId);
            if (gatewayId is not null && GetInternetGateway(scope, gatewayId).AttachedVpcId != table.VpcId)
                throw Ec2Errors.InvalidParameterValue($"route table {routeTableId} and network gateway {gatewayId} belong to different networks");
            if (natGatewayId is not null && GetNatGateway(scope, natGatewayId).VpcId != table.VpcId)
                throw Ec2Errors.InvalidParameterValue($"route table {routeTableId} and network gateway {natGatewayId} belong to different networks");
            if (table.Routes.Any(r => r.DestinationCidrBlock == cidr.ToString())) throw Ec2Errors.RouteAlreadyExists(cidr.ToString());
            _routeTables.Put(Key(scope, routeTableId), table with
            {
                Routes = [.. table.Routes, new Route { DestinationCidrBlock = cidr.ToString(), GatewayId = gatewayId, NatGatewayId = natGatewayId, Origin = "CreateRoute" }],
            });
        }
    }

    public void DeleteRoute(Scope scope, string routeTableId, string? destination)
    {
        if (destination is null) throw Ec2Errors.MissingParameter("destinationCidrBlock");
        lock (_gate)
        {
            var table = GetRouteTable(scope, routeTableId);
            var route = table.Routes.FirstOrDefault(r => r.DestinationCidrBlock == destination) ?? throw Ec2Errors.RouteNotFound(destination, routeTableId);
            if (route.GatewayId == "local") throw Ec2Errors.CannotDeleteLocalRoute(destination);
            _routeTables.Put(Key(scope, routeTableId), table with { Routes = table.Routes.Where(r => r != route).ToList() });
        }
    }

    public string AssociateRouteTable(Scope scope, string routeTableId, string subnetId)
    {
        lock (_gate)
        {
            var table = GetRouteTable(scope, routeTableId);
            var subnet = GetSubnet(scope, subnetId);
            if (subnet.VpcId != table.VpcId)
                throw Ec2Errors.InvalidParameterValue($"Route table {routeTableId} and subnet {subnetId} belong to different networks.");
            if (InScope(_routeTables, scope, t => (t.AccountId, t.Region)).Any(t => t.Associations.Any(a => a.SubnetId == subnetId)))
                throw Ec2Errors.SubnetAlreadyAssociated(subnetId, routeTableId);
            var association = new RouteTableAssociation(Ec2Ids.New("rtbassoc-"), Main: false, subnetId, null);
            _routeTables.Put(Key(scope, routeTableId), table with { Associations = [.. table.Associations, association] });
            return association.AssociationId;
        }
    }

    public void DisassociateRouteTable(Scope scope, string associationId)
    {
        lock (_gate)
        {
            Default(scope);
            var table = InScope(_routeTables, scope, t => (t.AccountId, t.Region)).FirstOrDefault(t => t.Associations.Any(a => a.AssociationId == associationId))
                ?? throw Ec2Errors.AssociationNotFound(associationId);
            if (table.Associations.Single(a => a.AssociationId == associationId).Main) throw Ec2Errors.CannotDisassociateMain();
            _routeTables.Put(Key(scope, table.RouteTableId), table with { Associations = table.Associations.Where(a => a.AssociationId != associationId).ToList() });
        }
    }

    // ---- Elastic IPs and NAT gateways ----

    /// <summary>
    /// Records an Elastic IP. The address is taken from the documentation ranges (RFC 5737: 198.51.100.0/24,
    /// 203.0.113.0/24), so it is plainly not a routable address: Stratus has none to give.
    /// </summary>
    public ElasticIp AllocateAddress(Scope scope, string? domain, IReadOnlyList<Ec2Tag> tags)
    {
        if (domain is not (null or "vpc" or "standard"))
            throw Ec2Errors.InvalidParameterValue($"Invalid value '{domain}' for domain.");
        Default(scope);
        lock (_gate)
        {
            var held = InScope(_addresses, scope, a => (a.AccountId, a.Region)).ToList();
            if (held.Count >= Ec2Rules.MaxAddresses) throw Ec2Errors.AddressLimitExceeded();
            var taken = held.Select(a => a.PublicIp).ToHashSet(StringComparer.Ordinal);
            var publicIp = new[] { "198.51.100.", "203.0.113." }.SelectMany(prefix => Enumerable.Range(1, 254).Select(n => prefix + n)).First(ip => !taken.Contains(ip));
            var address = new ElasticIp { AccountId = scope.AccountId, Region = scope.Region, AllocationId = Ec2Ids.New("eipalloc-"), PublicIp = publicIp };
            _addresses.Put(Key(scope, address.AllocationId), address);
            SetTags(scope, address.AllocationId, tags);
            return address;
        }
    }

    public IReadOnlyList<ElasticIp> DescribeAddresses(Scope scope, IReadOnlyList<string> allocationIds, IReadOnlyList<string> publicIps, IReadOnlyList<Ec2Filter> filters)
    {
        Default(scope);
        var addresses = Select(scope, _addresses, a => (a.AccountId, a.Region), a => a.AllocationId, allocationIds);
        if (publicIps.Count > 0)
            addresses = publicIps.Select(ip => addresses.FirstOrDefault(a => a.PublicIp == ip)
                ?? throw Ec2Errors.AddressNotFound(ip)).ToList();
        return Filter(scope, addresses, a => a.AllocationId, filters, (a, name) => name switch
        {
            "allocation-id" => [a.AllocationId],
            "public-ip" => [a.PublicIp],
            "domain" => ["vpc"],
            "association-id" => [a.AssociationId],
            _ => null,
        });
    }

    public void ReleaseAddress(Scope scope, string? allocationId)
    {
        if (allocationId is null) throw Ec2Errors.MissingParameter("allocationId");
        lock (_gate)
        {
            Default(scope);
            var address = _addresses.Get(Key(scope, allocationId)) ?? throw Ec2Errors.NotFound(allocationId);
            if (address.NatGatewayId is not null) throw Ec2Errors.AddressInUse(allocationId);
            _addresses.Remove(Key(scope, allocationId));
            RemoveTags(scope, allocationId);
        }
    }

    public NatGateway CreateNatGateway(Scope scope, string? subnetId, string? allocationId, string? connectivityType, IReadOnlyList<Ec2Tag> tags)
    {
        if (subnetId is null) throw Ec2Errors.MissingParameter("subnetId");
        connectivityType ??= "public";
        if (connectivityType is not ("public" or "private"))
            throw Ec2Errors.InvalidParameterValue($"Value ({connectivityType}) for parameter connectivityType is invalid.");
        lock (_gate)
        {
            var subnet = GetSubnet(scope, subnetId);
            ElasticIp? address = null;
            if (connectivityType == "public")
            {
                if (allocationId is null) throw Ec2Errors.MissingParameter("allocationId");
                address = _addresses.Get(Key(scope, allocationId)) ?? throw Ec2Errors.NotFound(allocationId);
                if (address.NatGatewayId is not null) throw Ec2Errors.AddressAlreadyAssociated(allocationId);
            }
            var inSubnet = InScope(_natGateways, scope, n => (n.AccountId, n.Region)).Count(n => n.SubnetId == subnetId);
            var nat = new NatGateway
            {
                AccountId = scope.AccountId,
                Region = scope.Region,
                NatGatewayId = Ec2Ids.New("nat-"),
                SubnetId = subnetId,
                VpcId = subnet.VpcId,
                ConnectivityType = connectivityType,
                AllocationId = address?.AllocationId,
                PublicIp = address?.PublicIp,
                // AWS keeps a subnet's first four addresses; the gateway's interface takes the next free one.
                PrivateIp = Cidr.Parse(subnet.CidrBlock)!.Value.Address((uint)(4 + inSubnet)),
                State = "available",
                CreateTime = _clock.GetUtcNow(),
            };
            _natGateways.Put(Key(scope, nat.NatGatewayId), nat);
            if (address is not null)
                _addresses.Put(Key(scope, address.AllocationId), address with { NatGatewayId = nat.NatGatewayId, AssociationId = Ec2Ids.New("eipassoc-") });
            SetTags(scope, nat.NatGatewayId, tags);
            return nat;
        }
    }

    public NatGateway GetNatGateway(Scope scope, string id) => Existing(scope, _natGateways, id);

    public IReadOnlyList<NatGateway> DescribeNatGateways(Scope scope, IReadOnlyList<string> ids, IReadOnlyList<Ec2Filter> filters)
    {
        Default(scope);
        var gateways = Select(scope, _natGateways, n => (n.AccountId, n.Region), n => n.NatGatewayId, ids);
        return Filter(scope, gateways, n => n.NatGatewayId, filters, (n, name) => name switch
        {
            "nat-gateway-id" => [n.NatGatewayId],
            "subnet-id" => [n.SubnetId],
            "vpc-id" => [n.VpcId],
            "state" => [n.State],
            _ => null,
        });
    }

    /// <summary>Deletes a NAT gateway: it stays listed as "deleted", as AWS keeps deleted gateways visible for a while, and gives its address back.</summary>
    public NatGateway DeleteNatGateway(Scope scope, string id)
    {
        lock (_gate)
        {
            var nat = GetNatGateway(scope, id);
            if (nat.State == "deleted") return nat;
            var deleted = nat with { State = "deleted", DeleteTime = _clock.GetUtcNow() };
            _natGateways.Put(Key(scope, id), deleted);
            if (nat.AllocationId is { } allocationId && _addresses.Get(Key(scope, allocationId)) is { } address)
                _addresses.Put(Key(scope, allocationId), address with { NatGatewayId = null, AssociationId = null });
            return deleted;
        }
    }

    // ---- tags ----

    public IReadOnlyList<Ec2Tag> TagsOf(Scope scope, string resourceId) => _tags.Get(Key(scope, resourceId))?.Tags ?? [];

    public void CreateTags(Scope scope, IReadOnlyList<string> resourceIds, IReadOnlyList<Ec2Tag> tags)
    {
        if (resourceIds.Count == 0) throw Ec2Errors.MissingParameter("resourceIdSet");
        lock (_gate)
        {
            foreach (var id in resourceIds) RequireExists(scope, id);
            foreach (var id in resourceIds)
                SetTags(scope, id, [.. TagsOf(scope, id).Where(t => tags.All(n => n.Key != t.Key)), .. tags]);
        }
    }

    /// <summary>Sets a resource's tags to exactly these (a template's Tags after an update).</summary>
    public void ReplaceTags(Scope scope, string resourceId, IReadOnlyList<Ec2Tag> tags)
    {
        lock (_gate)
        {
            RequireExists(scope, resourceId);
            SetTags(scope, resourceId, tags);
        }
    }

    /// <summary>Removes tags by key, or by key and value when a value is given (an empty value matches only empty values), as AWS does.</summary>
    public void DeleteTags(Scope scope, IReadOnlyList<string> resourceIds, IReadOnlyList<(string Key, string? Value)> tags)
    {
        if (resourceIds.Count == 0) throw Ec2Errors.MissingParameter("resourceIdSet");
        lock (_gate)
        {
            foreach (var id in resourceIds)
            {
                var kept = TagsOf(scope, id).Where(t => tags.Count > 0 && !tags.Any(d => d.Key == t.Key && (d.Value is null || d.Value == t.Value))).ToList();
                SetTags(scope, id, kept);
            }
        }
    }

    public IReadOnlyList<(string ResourceId, string ResourceType, Ec2Tag Tag)> DescribeTags(Scope scope, IReadOnlyList<Ec2Filter> filters)
    {
        var all = InScope(_tags, scope, t => (t.AccountId, t.Region))
            .SelectMany(set => set.Tags.Select(tag => (set.ResourceId, ResourceType: ResourceType(set.ResourceId), Tag: tag)))
            .OrderBy(t => t.ResourceId, StringComparer.Ordinal).ThenBy(t => t.Tag.Key, StringComparer.Ordinal);
        IEnumerable<(string ResourceId, string ResourceType, Ec2Tag Tag)> matches = all;
        foreach (var filter in filters)
        {
            Func<(string ResourceId, string ResourceType, Ec2Tag Tag), IEnumerable<string?>> field = filter.Name switch
            {
                "resource-id" => t => [t.ResourceId],
                "resource-type" => t => [t.ResourceType],
                "key" => t => [t.Tag.Key],
                "value" => t => [t.Tag.Value],
                _ when filter.Name.StartsWith("tag:", StringComparison.Ordinal) => t => t.Tag.Key == filter.Name[4..] ? [t.Tag.Value] : [],
                _ => throw Ec2Errors.InvalidFilter(filter.Name),
            };
            matches = matches.Where(t => Ec2Rules.Matches(filter.Values, field(t)));
        }
        return matches.ToList();
    }

    private static string ResourceType(string id) => Ec2Ids.KindOf(id) switch
    {
        Ec2Ids.Kind.Vpc => "vpc",
        Ec2Ids.Kind.Subnet => "subnet",
        Ec2Ids.Kind.SecurityGroup => "security-group",
        Ec2Ids.Kind.InternetGateway => "internet-gateway",
        Ec2Ids.Kind.RouteTable => "route-table",
        Ec2Ids.Kind.NatGateway => "natgateway",
        Ec2Ids.Kind.Address => "elastic-ip",
        _ => id.StartsWith("sgr-", StringComparison.Ordinal) ? "security-group-rule" : "unknown",
    };

    private void RequireExists(Scope scope, string id)
    {
        Default(scope);
        var exists = Ec2Ids.KindOf(id) switch
        {
            Ec2Ids.Kind.Vpc => _vpcs.Get(Key(scope, id)) is not null,
            Ec2Ids.Kind.Subnet => _subnets.Get(Key(scope, id)) is not null,
            Ec2Ids.Kind.SecurityGroup => _groups.Get(Key(scope, id)) is not null,
            Ec2Ids.Kind.InternetGateway => _gateways.Get(Key(scope, id)) is not null,
            Ec2Ids.Kind.RouteTable => _routeTables.Get(Key(scope, id)) is not null,
            Ec2Ids.Kind.NatGateway => _natGateways.Get(Key(scope, id)) is not null,
            Ec2Ids.Kind.Address => _addresses.Get(Key(scope, id)) is not null,
            _ => id.StartsWith("sgr-", StringComparison.Ordinal)
                ? InScope(_groups, scope, g => (g.AccountId, g.Region)).Any(g => g.Rules.Any(r => r.RuleId == id))
                : throw Ec2Errors.InvalidId(id),
        };
        if (!exists) throw id.StartsWith("sgr-", StringComparison.Ordinal) ? Ec2Errors.RuleNotFound(id) : Ec2Errors.NotFound(id);
    }

    private void SetTags(Scope scope, string resourceId, IReadOnlyList<Ec2Tag> tags)
    {
        if (tags.Count == 0) _tags.Remove(Key(scope, resourceId));
        else _tags.Put(Key(scope, resourceId), new Ec2TagSet(scope.AccountId, scope.Region, resourceId, tags));
    }

    private void RemoveTags(Scope scope, params string[] resourceIds)
    {
        foreach (var id in resourceIds) _tags.Remove(Key(scope, id));
    }

    // ---- Availability Zones ----

    public IReadOnlyList<string> AvailabilityZones(Scope scope) => Ec2Rules.AvailabilityZones(scope.Region);

    // ---- selection and filters ----

    /// <summary>One item by its id, in the scope (with its default VPC made); EC2 refuses an id it does not know as not found.</summary>
    private T Existing<T>(Scope scope, ResourceTable<T> table, string id) where T : class
    {
        Default(scope);
        return table.Get(Key(scope, id)) ?? throw Ec2Errors.NotFound(id);
    }

    /// <summary>The scope's items, or exactly the ids asked for (each must exist: EC2 refuses the call naming the first that does not).</summary>
    private static List<T> Select<T>(Scope scope, ResourceTable<T> table, Func<T, (string, string)> where, Func<T, string> id, IReadOnlyList<string> ids) where T : class
    {
        if (ids.Count == 0) return InScope(table, scope, where).OrderBy(id, StringComparer.Ordinal).ToList();
        return ids.Distinct(StringComparer.Ordinal).Select(i => table.Get(Key(scope, i)) ?? throw Ec2Errors.NotFound(i)).ToList();
    }

    /// <summary>
    /// Keeps the items every filter matches (any of a filter's values, wildcards allowed). Each type names
    /// its own fields; tag:KEY, tag-key and tag-value work for all. An unknown filter name is refused.
    /// </summary>
    private List<T> Filter<T>(Scope scope, IReadOnlyList<T> items, Func<T, string> id, IReadOnlyList<Ec2Filter> filters, Func<T, string, IEnumerable<string?>?> field)
    {
        IEnumerable<T> matches = items;
        foreach (var filter in filters)
        {
            var onTags = filter.Name is "tag-key" or "tag-value" || filter.Name.StartsWith("tag:", StringComparison.Ordinal);
            // Each type answers null for a name it does not know, whatever the item.
            if (!onTags && items.Count > 0 && field(items[0], filter.Name) is null) throw Ec2Errors.InvalidFilter(filter.Name);
            Func<T, IEnumerable<string?>> values = filter.Name switch
            {
                "tag-key" => item => TagsOf(scope, id(item)).Select(t => t.Key),
                "tag-value" => item => TagsOf(scope, id(item)).Select(t => t.Value),
                _ when onTags => item => TagsOf(scope, id(item)).Where(t => t.Key == filter.Name[4..]).Select(t => t.Value),
                _ => item => field(item, filter.Name) ?? [],
            };
            matches = matches.Where(item => Ec2Rules.Matches(filter.Values, values(item))).ToList();
        }
        return matches.ToList();
    }

    private static string Bool(bool value) => value ? "true" : "false";
}
