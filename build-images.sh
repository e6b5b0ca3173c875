#!/bin/bash
#
# Builds the NS8 imapsync images with buildah:
#   ${REPOBASE}/imapsync-binary  the container the module runs: static imapsync-supervisor
#                                (entrypoint, PID 1), imapsync-worker, syncctl, imapsync and
#                                busybox, FROM scratch (scripts/runtime-image)
#   ${REPOBASE}/imapsync         the module image (never run): imageroot/ with the static
#                                imapsync-module and syncctl in imageroot/bin, and the admin
#                                UI (ui/, built with npm ci && npm run build) as /ui
# REPOBASE defaults to ghcr.io/nethserver; IMAGETAG (default latest) names the runtime image
# in the module's org.nethserver.images label. The binaries come from scripts/build-static
# (a Rust toolchain with the x86_64-unknown-linux-musl target); the UI needs Node.js 20 and npm.
#

set -e

repobase="${REPOBASE:-ghcr.io/nethserver}"
imagetag="${IMAGETAG:-latest}"
images=()

cd "$(dirname "$0")"
bindir=$(mktemp -d "${TMPDIR:-/tmp}/imapsync-bin.XXXXXX")
trap 'rm -rf "${bindir}"' EXIT

echo "Building the static binaries..."
scripts/build-static --module "${bindir}"

echo "Building the imapsync-binary image..."
scripts/runtime-image "${bindir}" "${repobase}/imapsync-binary"
images+=("${repobase}/imapsync-binary")

echo "Building the admin UI..."
(cd ui && npm ci --no-audit --no-fund && npm run build)

echo "Building the imapsync module image..."
reponame="imapsync"
container=$(buildah from scratch)
buildah add "${container}" imageroot /imageroot
buildah add --chmod 0755 "${container}" "${bindir}/imapsync-module" /imageroot/bin/imapsync-module
buildah add --chmod 0755 "${container}" "${bindir}/syncctl" /imageroot/bin/syncctl
buildah add "${container}" ui/dist /ui
buildah config --entrypoint=/ \
    --label="org.nethserver.authorizations=mail@any:mailadm" \
    --label="org.nethserver.rootfull=0" \
    --label="org.nethserver.images=${repobase}/imapsync-binary:${imagetag}" \
    --label="org.nethserver.min-core=3.20.1" \
    "${container}"
buildah commit --rm "${container}" "${repobase}/${reponame}"
images+=("${repobase}/${reponame}")

if [[ -n "${CI}" ]]; then
    # The CI workflow pushes what this step lists.
    printf "images=%s\n" "${images[*],,}" >> "${GITHUB_OUTPUT}"
else
    printf "Publish the images with:\n\n"
    for image in "${images[@],,}"; do
        printf "  buildah push %s docker://%s:%s\n" "${image}" "${image}" "${imagetag}"
    done
    printf "\n"
fi
