using Stratus.Protocols;
using Stratus.Services.Rds;

namespace Stratus.Tests.Services.Rds;

/// <summary>The automated backup settings RDS takes: BackupRetentionPeriod 0 to 35 days, PreferredBackupWindow hh24:mi-hh24:mi of at least 30 minutes.</summary>
public sealed class RdsBackupRulesTests
{
    [Theory]
    [InlineData("03:00-03:30", 180, 30)]
    [InlineData("23:45-00:30", 1425, 45)]
    [InlineData("00:00-23:59", 0, 1439)]
    public void A_backup_window_is_its_start_and_length_and_may_cross_midnight(string window, int startMinutes, int lengthMinutes)
    {
        var (start, length) = RdsRules.BackupWindow(window);
        Assert.Equal(TimeSpan.FromMinutes(startMinutes), start);
        Assert.Equal(TimeSpan.FromMinutes(lengthMinutes), length);
    }

    [Theory]
    [InlineData("03:00-03:29")]
    [InlineData("3:00-03:30")]
    [InlineData("24:00-00:30")]
    [InlineData("03:00 03:30")]
    [InlineData("03:00-03:30-04:00")]
    public void A_malformed_or_short_backup_window_is_refused(string window)
    {
        var refusal = Assert.Throws<AwsException>(() => RdsRules.BackupWindow(window));
        Assert.Equal("InvalidParameterValue", refusal.Code);
        Assert.Contains(window, refusal.Message);
    }

    [Fact]
    public void Retention_is_0_to_35_days()
    {
        Assert.Equal(0, RdsRules.BackupRetentionPeriod(0));
        Assert.Equal(35, RdsRules.BackupRetentionPeriod(35));
        Assert.Equal("Invalid backup retention period: 36. The value must be between 0 and 35.", Assert.Throws<AwsException>(() => RdsRules.BackupRetentionPeriod(36)).Message);
        Assert.Equal("InvalidParameterValue", Assert.Throws<AwsException>(() => RdsRules.BackupRetentionPeriod(-1)).Code);
    }
}
