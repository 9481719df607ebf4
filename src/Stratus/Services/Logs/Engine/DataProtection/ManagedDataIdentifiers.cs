using System.Text.RegularExpressions;

namespace Stratus.Services.Logs.Engine.DataProtection;

/// <summary>
/// The managed data identifiers Stratus detects, each a pattern (run by .NET's non-backtracking engine) and, where the
/// pattern alone would find too much, a check of the value. They are Stratus's own detectors, not AWS's (which add
/// machine learning and keywords nearby), and only this subset of AWS's list; a policy naming another managed identifier
/// is refused rather than accepted and never matched. A pattern's "value" group, when it has one, is the sensitive part.
/// </summary>
public static class ManagedDataIdentifiers
{
    private const RegexOptions Options = RegexOptions.NonBacktracking | RegexOptions.CultureInvariant;
    // A backstop only: the non-backtracking engine runs in time linear in the message.
    private static readonly TimeSpan MatchTimeout = TimeSpan.FromSeconds(1);

    private static readonly Dictionary<string, (Regex Pattern, Func<string, bool>? Check)> Identifiers = new(StringComparer.Ordinal)
    {
        // An address: a local part, @, and a domain whose last label has at least two letters.
        ["EmailAddress"] = (Pattern(@"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"), null),
        // An IPv4 address: four dot-separated numbers from 0 to 255 (IPv6 addresses are not detected).
        ["IpAddress"] = (Pattern(@"\b((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\b"), null),
        // A secret access key: 40 characters of its base64 alphabet standing alone (after =, as in key=VALUE, too), mixing upper and lower case (which a
        // 40-digit hexadecimal hash does not).
        ["AwsSecretKey"] = (Pattern(@"(^|[^A-Za-z0-9/+])(?<value>[A-Za-z0-9/+]{40})($|[^A-Za-z0-9/+=])"), v => v.Any(char.IsUpper) && v.Any(char.IsLower)),
        // 13 to 19 digits, optionally grouped by spaces or dashes, whose Luhn checksum holds.
        ["CreditCardNumber"] = (Pattern(@"\b([0-9][ \-]?){12,18}[0-9]\b"), Luhn),
        // A US Social Security number, ###-##-####, without the area numbers (000, 666, 9xx), group 00 or serial 0000 never issued.
        ["Ssn-US"] = (Pattern(@"\b[0-9]{3}-[0-9]{2}-[0-9]{4}\b"), v => v[..3] is not ("000" or "666") && v[0] != '9' && v[4..6] != "00" && v[7..] != "0000"),
        // A North American number: an optional +1, an area code from 2 to 9, then 3 and 4 digits, with separators.
        ["PhoneNumber-US"] = (Pattern(@"(\+1[ .\-]?)?(\([2-9][0-9]{2}\)|\b[2-9][0-9]{2})[ .\-]?[0-9]{3}[ .\-][0-9]{4}\b"), null),
        // An OpenSSH private key block, armour lines included.
        ["OpenSshPrivateKey"] = (Pattern(@"-----BEGIN OPENSSH PRIVATE KEY-----[^\-]*-----END OPENSSH PRIVATE KEY-----"), null),
    };

    public static IEnumerable<string> Names => Identifiers.Keys;

    public static (Regex Pattern, Func<string, bool>? Check)? Find(string name) => Identifiers.TryGetValue(name, out var found) ? found : null;

    private static Regex Pattern(string pattern) => new(pattern, Options, MatchTimeout);

    private static bool Luhn(string value)
    {
        var digits = value.Where(char.IsAsciiDigit).Select(c => c - '0').ToArray();
        if (digits.Length is < 13 or > 19) return false;
        var sum = 0;
        for (var i = 0; i < digits.Length; i++)
        {
            var d = digits[digits.Length - 1 - i];
            if (i % 2 == 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
            sum += d;
        }
        return sum % 10 == 0;
    }
}
