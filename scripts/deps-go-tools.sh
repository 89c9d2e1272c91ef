#!/usr/bin/env bash
# Builds the real test services from source with `go install` at pinned
# versions into $ZARRPROC_TOOLS_BIN (cached between runs, see env.sh).
# A tool is rebuilt only when its version stamp differs from the pin, because
# MinIO takes minutes to compile on a small machine.
#
# Pins: MinIO publishes no semver tags, so the Go proxy serves it only as a
# pseudo-version; this one is the last commit the proxy offers as @latest
# (its go.mod has no replace directives, so `go install pkg@version` works).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

MINIO_VERSION="v0.0.0-20260212201848-7aac2a2c5b7c"
FAKE_GCS_SERVER_VERSION="v1.56.1"

# install NAME PACKAGE VERSION: go install PACKAGE@VERSION unless the stamp
# beside the binary already names VERSION.
install() {
	local name=$1 pkg=$2 version=$3
	local bin="$ZARRPROC_TOOLS_BIN/$name"
	local stamp="$ZARRPROC_TOOLS_BIN/.$name.version"
	if [[ -x "$bin" && -f "$stamp" && "$(cat "$stamp")" == "$version" ]]; then
		echo "deps-go-tools: $name $version already installed"
		return 0
	fi
	echo "deps-go-tools: installing $name $version (this can take minutes)"
	local start=$SECONDS
	rm -f "$stamp"
	# CGO off: static binaries that do not depend on the machine's libc.
	if ! CGO_ENABLED=0 GOBIN="$ZARRPROC_TOOLS_BIN" go install "$pkg@$version"; then
		echo "deps-go-tools: go install $pkg@$version failed" >&2
		return 1
	fi
	echo "$version" >"$stamp"
	echo "deps-go-tools: $name $version installed in $((SECONDS - start))s"
}

install minio github.com/minio/minio "$MINIO_VERSION"
install fake-gcs-server github.com/fsouza/fake-gcs-server "$FAKE_GCS_SERVER_VERSION"
