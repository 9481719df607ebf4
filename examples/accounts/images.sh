# Sourced by deploy.sh: the accounts functions as container images, as the seed ships them (issue #16).
# The images are built from Dockerfile.lambda_* on the output of package.sh's `dotnet publish`, pushed to
# each ECR repository's repositoryUri after `aws ecr get-login-password | CLIENT login`, and the functions
# are created from REPOSITORY_URI:latest.

BASE_IMAGE=public.ecr.aws/lambda/dotnet:10

# Prints the client that builds and pushes the images, or nothing when the functions ship as a zip.
# Without an endpoint (AWS): docker, as in the seed. With one (Stratus): ACCOUNTS_IMAGE_CLIENT when set
# (docker, podman, buildah, or none for the zip); otherwise the first of docker (with a running daemon),
# podman and buildah that works and has the base image or can pull it, else none (no such client, or no
# internet to pull the base image from: the zip path needs neither).
image_client() {
    if [ -z "$ENDPOINT" ]; then echo docker; return; fi
    case "${ACCOUNTS_IMAGE_CLIENT:-}" in
        none) return ;;
        docker | podman | buildah) echo "$ACCOUNTS_IMAGE_CLIENT"; return ;;
        "") ;;
        *) say "ACCOUNTS_IMAGE_CLIENT must be docker, podman, buildah or none, not $ACCOUNTS_IMAGE_CLIENT"; exit 2 ;;
    esac
    local client
    for client in docker podman buildah; do
        command -v "$client" >/dev/null 2>&1 && "$client" info >/dev/null 2>&1 || continue
        if has_base_image "$client" || "$client" pull -q "$BASE_IMAGE" >/dev/null 2>&1; then
            echo "$client"
            return
        fi
        say "Lambda: $client cannot get $BASE_IMAGE; the functions ship as a zip"
    done
}

has_base_image() {
    if [ "$1" = buildah ]; then buildah inspect --type image "$BASE_IMAGE" >/dev/null 2>&1
    else "$1" image inspect "$BASE_IMAGE" >/dev/null 2>&1; fi
}

# podman and buildah refuse plain HTTP unless told; docker allows it for 127.0.0.0/8 by itself.
plain_http_flags() {
    if [ "$1" != docker ] && [ "${ENDPOINT#http://}" != "$ENDPOINT" ]; then echo --tls-verify=false; fi
}

# Builds, tags and pushes NAME's image with CLIENT; creates its repository first, as the seed does.
build_and_push_image() {
    local client="$1" name="$2" dockerfile repository
    dockerfile="Dockerfile.lambda_${name#demo-cct-lambda-}"
    dockerfile="${dockerfile//-/_}"
    say "ECR: building and pushing $name with $client"
    # buildah and podman without a daemon read the context themselves; the context is only the published output.
    "$client" build --platform linux/amd64 -t "$name:1.0.0" -f "$here/$dockerfile" "$here/build" >&2
    awsx ecr create-repository \
        --repository-name "$name" \
        --image-scanning-configuration scanOnPush=true \
        --image-tag-mutability MUTABLE \
        --tags "$TAGS" >/dev/null
    repository="$(awsx ecr describe-repositories --repository-names "$name" --query "repositories[0].repositoryUri" --output text)"
    # shellcheck disable=SC2046 # the flags are one word or none
    awsx ecr get-login-password | "$client" login $(plain_http_flags "$client") --username AWS --password-stdin "${repository%%/*}" >&2
    "$client" tag "$name:1.0.0" "$repository:latest"
    # shellcheck disable=SC2046
    "$client" push $(plain_http_flags "$client") "$repository:latest" >&2
}
