namespace Stratus.Services.S3;

/// <summary>
/// The operations of botocore's s3 model that Stratus does not serve, each with why: they are routed like any other and
/// answer NotImplemented (501) naming the operation and the reason. README lists them (S3ModelCoverageTests checks both).
/// </summary>
public static class S3NotServed
{
    public static readonly IReadOnlyList<(string Operation, string Reason)> Operations = Group(
        ("object lock is not built (no bucket has it, so the Get and object-level calls answer as S3 does for such a bucket)",
            ["PutObjectLockConfiguration"]),
        ("server access logging, replication and transfer acceleration are not built",
            ["DeleteBucketReplication", "GetBucketAccelerateConfiguration", "GetBucketLogging", "GetBucketReplication", "PutBucketAccelerateConfiguration", "PutBucketLogging", "PutBucketReplication"]),
        ("Requester Pays is billing, which Stratus does not have",
            ["GetBucketRequestPayment", "PutBucketRequestPayment"]),
        ("analytics, inventory, metrics and Intelligent-Tiering configurations are not built",
            ["DeleteBucketAnalyticsConfiguration", "DeleteBucketIntelligentTieringConfiguration", "DeleteBucketInventoryConfiguration", "DeleteBucketMetricsConfiguration",
             "GetBucketAnalyticsConfiguration", "GetBucketIntelligentTieringConfiguration", "GetBucketInventoryConfiguration", "GetBucketMetricsConfiguration",
             "ListBucketAnalyticsConfigurations", "ListBucketIntelligentTieringConfigurations", "ListBucketInventoryConfigurations", "ListBucketMetricsConfigurations",
             "PutBucketAnalyticsConfiguration", "PutBucketIntelligentTieringConfiguration", "PutBucketInventoryConfiguration", "PutBucketMetricsConfiguration"]),
        ("S3 Metadata tables are not built",
            ["CreateBucketMetadataConfiguration", "CreateBucketMetadataTableConfiguration", "DeleteBucketMetadataConfiguration", "DeleteBucketMetadataTableConfiguration",
             "GetBucketMetadataConfiguration", "GetBucketMetadataTableConfiguration", "UpdateBucketMetadataInventoryTableConfiguration", "UpdateBucketMetadataJournalTableConfiguration"]),
        ("directory buckets (S3 Express One Zone) are not built",
            ["CreateSession", "ListDirectoryBuckets", "RenameObject"]),
        ("attribute-based access control for buckets is not built",
            ["GetBucketAbac", "PutBucketAbac"]),
        ("storage classes are not built (every object is STANDARD), so nothing is archived to restore, and torrents are not served",
            ["GetObjectTorrent", "RestoreObject"]),
        ("S3 Select and Object Lambda are not built",
            ["SelectObjectContent", "WriteGetObjectResponse"]),
        ("Stratus does not encrypt objects at rest with KMS, so there is no object encryption to change",
            ["UpdateObjectEncryption"]));

    private static List<(string, string)> Group(params (string Reason, string[] Operations)[] groups) =>
        groups.SelectMany(g => g.Operations.Select(operation => (operation, g.Reason))).ToList();
}
