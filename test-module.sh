#!/usr/bin/env bash
# test-module.sh: runs the Robot Framework suites of tests/ against a real NS8 leader node, the
# way NS8 modules are tested: robot runs in a container and drives the node over SSH as root.
#
# Usage:
#   ./test-module.sh <NODE_ADDR> <IMAGE_URL> [robot options...]
#
#   NODE_ADDR   address of a freshly installed NS8 leader node, reachable over SSH as root
#   IMAGE_URL   the imapsync image under test, e.g. ghcr.io/nethserver/imapsync:main
#
# Environment:
#   SSH_KEYFILE   private key accepted by root on the node (default ~/.ssh/id_ecdsa, then
#                 ~/.ssh/id_ed25519, then ~/.ssh/id_rsa)
#   ROBOT_IMAGE   container image with Python 3 and pip where robot runs (default below);
#                 the pinned Robot Framework and SSHLibrary are installed into it
#   RUN_UI_TESTS  "true" runs the suites tagged ui too (excluded otherwise)
#
# The results (output.xml, log.html, report.html, journal.log) land in tests/outputs/. Extra
# options go to robot, e.g. `--include csv` or `--exclude progress`. Failures of tests tagged
# "unstable" are reported as skipped.
set -euo pipefail

if (($# < 2)); then
  sed -n '5,9p' "$0" >&2
  exit 2
fi
NODE_ADDR=$1
IMAGE_URL=$2
shift 2

ROBOT_IMAGE=${ROBOT_IMAGE:-docker.io/library/python:3.11-slim}
# The same versions scripts/robot-dryrun checks the suites with.
REQUIREMENTS="robotframework==7.3.2 robotframework-sshlibrary==3.8.0"
ROOT=$(cd "$(dirname "$0")" && pwd -P)

if [[ -z ${SSH_KEYFILE:-} ]]; then
  for candidate in ~/.ssh/id_ecdsa ~/.ssh/id_ed25519 ~/.ssh/id_rsa; do
    if [[ -f $candidate ]]; then
      SSH_KEYFILE=$candidate
      break
    fi
  done
fi
if [[ ! -r ${SSH_KEYFILE:-} ]]; then
  echo "test-module.sh: no readable SSH key; set SSH_KEYFILE" >&2
  exit 2
fi

robot_options=(--skiponfailure unstable)
if [[ ${RUN_UI_TESTS:-false} != true ]]; then
  robot_options+=(--exclude ui)
fi

# The key is copied to a private directory mounted read-only, so the user's own key file is
# neither relabelled nor exposed; the copy goes away with the run.
keydir=$(mktemp -d)
trap 'rm -rf "$keydir"' EXIT
install -m 600 "$SSH_KEYFILE" "$keydir/ssh-key"
outputs="$ROOT/tests/outputs"
mkdir -p "$outputs"

# Root inside the container: it reads the key whatever its owner, and pip installs system-wide.
podman run --rm --network=host --user root --env PIP_ROOT_USER_ACTION=ignore \
  --volume "$ROOT/tests:/srv/tests:ro,z" \
  --volume "$keydir:/srv/key:ro,z" \
  --volume "$outputs:/srv/outputs:z" \
  "$ROBOT_IMAGE" \
  sh -c 'python3 -m pip install --quiet --disable-pip-version-check $0 && exec python3 -m robot "$@"' \
  "$REQUIREMENTS" \
  --name imapsync \
  -v "NODE_ADDR:$NODE_ADDR" \
  -v "IMAGE_URL:$IMAGE_URL" \
  -v SSH_KEYFILE:/srv/key/ssh-key \
  "${robot_options[@]}" \
  --outputdir /srv/outputs \
  --parseinclude '/srv/tests/*.robot' \
  "$@" /srv/tests
