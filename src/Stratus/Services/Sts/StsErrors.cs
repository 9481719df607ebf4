using Stratus.Protocols;
using Stratus.Services.Iam;

namespace Stratus.Services.Sts;

/// <summary>STS's errors, worded as AWS words them.</summary>
public static class StsErrors
{
    /// <summary>An operation of STS's model Stratus does not serve (<see cref="StsNotServed"/>): named, with why.</summary>
    public static AwsException NotServed(string operation, string reason) =>
        new("InvalidAction", $"Stratus does not serve the STS operation {operation}: {reason}");

    public static AwsException TransitiveTagClash(string key) =>
        new("InvalidParameterValue", $"The session tag key {key} is already set by a transitive tag the calling session inherited; it cannot be set again in a role chain.");

    public static AwsException AssumeRoleDenied(string callerArn, string roleArn) =>
        new("AccessDenied", $"User: {callerArn} is not authorized to perform: sts:AssumeRole on resource: {roleArn}", 403);

    /// <summary>SerialNumber and TokenCode where the code is not the device's current one, or was used already.</summary>
    public static AwsException MfaCodeInvalid() => new("AccessDenied", "MultiFactorAuthentication failed with invalid MFA one time pass code.", 403);

    /// <summary>SerialNumber naming no MFA device enabled for the calling user.</summary>
    public static AwsException MfaDeviceUnknown() =>
        new("AccessDenied", "MultiFactorAuthentication failed, unable to validate MFA code.  Please verify your MFA serial number is valid and associated with this user.", 403);

    public static AwsException DurationOutOfRange(int maxSessionDuration) =>
        new("ValidationError", $"The requested DurationSeconds exceeds the MaxSessionDuration set for this role ({maxSessionDuration}) or is below 900.");

    // AssumeRoleWithWebIdentity: the token is refused as InvalidIdentityToken (400) for what is wrong with
    // it, ExpiredTokenException once exp has passed, and the trust policy's refusal is AccessDenied (403).

    public static AwsException InvalidIdentityToken(string message) => new("InvalidIdentityToken", message);

    public static AwsException NoOidcProvider(string issuer) =>
        InvalidIdentityToken($"No OpenIDConnect provider found in your account for {issuer}");

    public static AwsException VerificationKeyUnavailable() =>
        InvalidIdentityToken("Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements");

    public static AwsException NotAJwt() =>
        InvalidIdentityToken("The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)");

    public static AwsException UnsupportedAlgorithm() =>
        InvalidIdentityToken("The token's signing algorithm is not supported: Stratus verifies RSA-signed tokens (RS256, RS384, RS512)");

    public static AwsException BadSignature() => InvalidIdentityToken("The token's signature could not be verified with the identity provider's keys");

    public static AwsException MissingClaim(string claim) => InvalidIdentityToken($"The token has no {claim} claim");

    public static AwsException NotYetValid() => InvalidIdentityToken("The token is not valid yet (nbf)");

    public static AwsException IncorrectAudience() => InvalidIdentityToken("Incorrect token audience");

    /// <summary>AWS's wording, its missing space before the expiry included.</summary>
    public static AwsException TokenExpired(DateTimeOffset now, DateTimeOffset expires) =>
        new("ExpiredTokenException", $"Token expired: current date/time {now.ToUnixTimeSeconds()} must be before the expiration date/time{expires.ToUnixTimeSeconds()}");

    // GetWebIdentityToken: AWS publishes the codes and statuses (botocore's model), not the messages; these are ours.

    public static AwsException OutboundFederationDisabled() =>
        new("OutboundWebIdentityFederationDisabledException",
            "Outbound web identity federation is not enabled for this account: enable it with IAM's EnableOutboundWebIdentityFederation first.", 403);

    public static AwsException SessionDurationEscalation(DateTimeOffset sessionExpiration) =>
        new("SessionDurationEscalationException",
            $"The requested token duration would extend past the calling session's expiration ({sessionExpiration.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'}).", 403);

    public static AwsException UnknownSigningAlgorithm(string algorithm) =>
        IamNames.Errors.Constraint("SigningAlgorithm", algorithm, "Member must satisfy enum value set: [RS256, ES384]");

    /// <summary>AWS documents that GetWebIdentityToken's tokens cannot be used for AssumeRoleWithWebIdentity; the wording is ours.</summary>
    public static AwsException OutboundTokenNotAccepted() =>
        InvalidIdentityToken("Tokens issued by GetWebIdentityToken cannot be used with AssumeRoleWithWebIdentity");

    // AssumeRoleWithSAML: a response that does not verify is InvalidIdentityToken (400), an expired one
    // ExpiredTokenException, a provider that does not exist InvalidIdentityToken, the trust's refusal AccessDenied.

    public static AwsException InvalidSamlResponse(string message) => InvalidIdentityToken(message);

    public static AwsException NoSamlProvider() => InvalidIdentityToken("Specified provider doesn't exist");

    public static AwsException SamlExpired(DateTimeOffset notOnOrAfter) =>
        new("ExpiredTokenException", $"Token expired: the SAML assertion was valid until {notOnOrAfter.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'}");

    public static AwsException SamlDenied() => new("AccessDenied", "Not authorized to perform sts:AssumeRoleWithSAML", 403);

    public static AwsException WebIdentityDenied() =>
        new("AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity", 403);

    public static AwsException FederationWithSessionCredentials() =>
        new("AccessDenied", "Cannot call GetFederationToken with session credentials", 403);

    /// <summary>Stratus issues no encoded authorization messages (its --auth enforce denials say why in plain words), so none decodes.</summary>
    public static AwsException InvalidAuthorizationMessage() =>
        new("InvalidAuthorizationMessageException", "The message is not an encoded authorization message Stratus issued: Stratus does not encode its access denied messages");
}
