using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Stratus.Host;

namespace Stratus.Services.Rds;

/// <summary>
/// The CA bundle clients verify RDS servers with, as AWS serves it at truststore.pki.rds.amazonaws.com/REGION/REGION-bundle.pem:
/// here /_stratus/rds/truststore/ACCOUNT/REGION/REGION-bundle.pem (Stratus's CAs are the account's own), the PEM of every CA
/// of the Region. Certificates are public, so the page needs no console token, as AWS's truststore needs no credentials.
/// </summary>
public static partial class RdsTruststore
{
    public const string PathPrefix = "/_stratus/rds/truststore";

    [GeneratedRegex(@"^/(?<account>[0-9]{12})/(?<region>[a-z0-9-]{1,32})/(?<file>[a-z0-9-]{1,32}-bundle\.pem)$")]
    private static partial Regex BundlePath();

    /// <summary>The bundle's address on a Stratus at <paramref name="baseUrl"/>, as README and the console give it.</summary>
    public static string Url(string baseUrl, string accountId, string region) => $"{baseUrl.TrimEnd('/')}{PathPrefix}/{accountId}/{region}/{region}-bundle.pem";

    public static StratusPage Page(RdsService rds) => new(PathPrefix, http => WriteAsync(rds, http)) { AuthorizesItself = true };

    private static async Task WriteAsync(RdsService rds, HttpContext http)
    {
        var match = BundlePath().Match(http.Request.Path.Value![PathPrefix.Length..]);
        var region = match.Groups["region"].Value;
        if (!match.Success || !Regions.IsKnown(region) || match.Groups["file"].Value != $"{region}-bundle.pem" || rds.Engines.Count == 0)
        {
            http.Response.StatusCode = StatusCodes.Status404NotFound;
            await http.Response.WriteAsync($"No such bundle: ask for {PathPrefix}/ACCOUNT/REGION/REGION-bundle.pem (an RDS with a database engine installed).\n");
            return;
        }
        var account = match.Groups["account"].Value;
        if (rds.CertificateBundle(account, region) is not { } bundle)
        {
            http.Response.StatusCode = StatusCodes.Status404NotFound;
            await http.Response.WriteAsync($"No certificate authority of account {account} in {region} yet: RDS makes them with the account's first DB instance there, or at DescribeCertificates.\n");
            return;
        }
        http.Response.ContentType = "application/x-pem-file";
        await http.Response.WriteAsync(bundle);
    }
}
