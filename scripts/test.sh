#!/usr/bin/env bash
# `make test`: install what the tests need, start the real services, run every
# Go test with the services required (a missing service fails, never skips).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

bash scripts/deps-apt.sh
bash scripts/deps-go-tools.sh
bash scripts/deps-python.sh

workdir=$(mktemp -d /tmp/zarrproc-test.XXXXXX)
trap 'bash scripts/services.sh stop "$workdir" || true; rm -rf "$workdir"' EXIT
bash scripts/services.sh start "$workdir"
# services.sh writes the endpoints it started as KEY=VALUE lines.
set -a; source "$workdir/services.env"; set +a

export ZARRPROC_TEST_REQUIRE_SERVICES=1
export ZARRPROC_TEST_PYTHON2="$ZARRPROC_VENV2/bin/python"
export ZARRPROC_TEST_PYTHON3="$ZARRPROC_VENV3/bin/python"

go vet ./...
go test -count=1 -timeout 30m ./... 2>&1 | tee "$workdir/go-test.log"
status=${PIPESTATUS[0]}
echo "go test exit status: $status"
exit "$status"
