using Stratus.Protocols;
using Stratus.Services.Ecr;
using Stratus.Services.Ecr.Engine;

namespace Stratus.Tests.Services.Ecr;

/// <summary>ECR's lifecycle evaluation rules: priority order, an image selected by a rule is never expired by a lower one, count and age rules.</summary>
public sealed class LifecyclePolicyTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 31, 0, 0, 0, TimeSpan.Zero);

    private static EcrImage Image(string name, int daysOld, params string[] tags) => new()
    {
        Digest = "sha256:" + name.PadLeft(64, '0'),
        MediaType = ImageManifest.OciManifest,
        PushedAt = Now.AddDays(-daysOld),
        Tags = tags,
    };

    [Fact]
    public void Count_and_age_rules_expire_in_priority_order_and_a_selected_image_is_not_expired_by_a_lower_rule()
    {
        var policy = LifecyclePolicy.Parse("""
            {"rules":[
              {"rulePriority":1,"selection":{"tagStatus":"tagged","tagPrefixList":["prod"],"countType":"imageCountMoreThan","countNumber":2},"action":{"type":"expire"}},
              {"rulePriority":2,"selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":7},"action":{"type":"expire"}},
              {"rulePriority":3,"selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}
            ]}
            """);
        var images = new[]
        {
            Image("1", 1, "prod-3"), Image("2", 2, "prod-2"), Image("3", 3, "prod-1"),
            Image("4", 10), Image("5", 1),
            Image("6", 1, "dev"), Image("7", 2, "dev-old"),
        };

        var expired = policy.Expired(images, Now).Select(i => i.Digest[^1..]).Order().ToList();

        // prod-1 is the third prod image; the 10-day-old untagged one is past 7 days; of what rules 1 and 2 did not
        // select ("any": 6, 7) only the newest stays. The images rules 1 and 2 kept (1, 2, 5) are not rule 3's to expire.
        Assert.Equal(["3", "4", "7"], expired);
    }

    [Fact]
    public void Since_image_pulled_counts_from_the_last_pull_and_from_the_push_for_an_image_never_pulled()
    {
        var policy = LifecyclePolicy.Parse("""
            {"rules":[{"rulePriority":4,"selection":{"tagStatus":"any","countType":"sinceImagePulled","countUnit":"days","countNumber":7},"action":{"type":"expire"}}]}
            """);
        var images = new[]
        {
            Image("1", 30) with { LastPulledAt = Now.AddDays(-1) },
            Image("2", 30) with { LastPulledAt = Now.AddDays(-8) },
            Image("3", 8),
            Image("4", 2),
        };

        var evaluated = policy.Evaluate(images, Now).Select(e => (e.Image.Digest[^1..], e.Rule.Priority)).Order().ToList();

        // Pushed 30 days ago but pulled yesterday: kept. Pulled 8 days ago: expired. Never pulled: measured from the push.
        Assert.Equal([("2", 4), ("3", 4)], evaluated);
    }

    [Theory]
    [InlineData("""{"rules":[{"rulePriority":1,"selection":{"tagStatus":"any","countType":"sinceImagePulled","countNumber":1},"action":{"type":"expire"}}]}""")]
    [InlineData("""{"rules":[{"rulePriority":1,"selection":{"tagStatus":"any","countType":"sinceImageTransitioned","countUnit":"days","countNumber":1},"action":{"type":"expire"}}]}""")]
    [InlineData("""{"rules":[]}""")]
    [InlineData("""{"rules":[{"rulePriority":1,"selection":{"tagStatus":"tagged","countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]}""")]
    [InlineData("""{"rules":[{"rulePriority":1,"selection":{"tagStatus":"any","countType":"sinceImagePushed","countNumber":1},"action":{"type":"expire"}}]}""")]
    [InlineData("""{"rules":[{"rulePriority":1,"selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}},{"rulePriority":2,"selection":{"tagStatus":"untagged","countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]}""")]
    [InlineData("not json")]
    public void Policies_ecr_refuses_are_refused(string text)
    {
        var error = Assert.Throws<AwsException>(() => LifecyclePolicy.Parse(text));
        Assert.Equal("InvalidParameterException", error.Code);
    }
}
