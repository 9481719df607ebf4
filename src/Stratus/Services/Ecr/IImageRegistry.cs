using Stratus.Protocols;

namespace Stratus.Services.Ecr;

/// <summary>
/// What Lambda (and CloudFormation) need from ECR to run an image function: an ImageUri resolved to the
/// image it names now, and that image unpacked as a root file system.
/// </summary>
public interface IImageRegistry
{
    /// <summary>
    /// Resolves <paramref name="imageUri"/>: the repositoryUri form Stratus hands out (HOST:PORT/NAME:TAG or
    /// @sha256:..., in the scope's account and region) or AWS's (ACCOUNT.dkr.ecr.REGION.amazonaws.com/NAME:TAG
    /// or @sha256:...). A URI without tag or digest means :latest, as docker reads it. Throws Lambda's
    /// InvalidParameterValueException ("Source image ... does not exist") for a repository, tag or digest that
    /// does not exist, and for a URI that names no ECR registry. For a manifest list or index, ManifestDigest is
    /// the manifest for this machine's architecture, else its first, whose Platform then shows the mismatch
    /// for Lambda to refuse.
    /// </summary>
    ResolvedImage Resolve(Scope scope, string imageUri);

    /// <summary>
    /// The image manifest <paramref name="manifestDigest"/> (a <see cref="ResolvedImage.ManifestDigest"/>) unpacked
    /// as a root file system: a directory readable by any user, unpacked once per digest and shared. The
    /// <paramref name="holder"/> (e.g. a function ARN) keeps it on disk, across restarts, until it calls
    /// <see cref="Release"/>. Throws InvalidDataException when a layer is unreadable or tries to escape the root.
    /// </summary>
    Task<string> UnpackAsync(string manifestDigest, string holder, CancellationToken cancellation);

    /// <summary>Drops <paramref name="holder"/>'s hold; the root file system is removed once nobody holds it.</summary>
    void Release(string manifestDigest, string holder);
}
