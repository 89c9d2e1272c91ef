# zarrproc — see README.md. `make test` is the one command that runs every test
# on a fresh machine: it installs and starts what the tests need by itself.
GO ?= go
BIN := bin/zarrproc

.PHONY: build test unit vet fuzz fuzz-api ets bench fixtures dev clean

build:
	$(GO) build -o $(BIN) ./cmd/zarrproc

# Everything: installs tools (apt, go install at pinned versions, pip into a
# cached venv), starts redis-server, MinIO and fake-gcs-server, runs go test.
test:
	bash scripts/test.sh

# Fast unit tests only: no services, no Python.
unit:
	$(GO) test -short ./...

vet:
	$(GO) vet ./...

# Short fuzzing pass over every Fuzz target (FUZZTIME per target).
FUZZTIME ?= 20s
fuzz:
	bash scripts/fuzz.sh $(FUZZTIME)

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# Regenerate the committed fixtures under testdata/ with zarr-python 2 and 3.
fixtures:
	bash scripts/fixtures.sh

# The README's "run" command: the whole system in one process (embedded
# Redis, a sample CHIRPS-like dataset written on first start, the OGC API on
# 127.0.0.1:8080, a worker). Ctrl-C stops it.
dev: build
	$(BIN) dev

# OGC Executable Test Suite for OGC API – Processes 1.0 (Java 17). Without
# ETS_URL it starts redis-server, zarrproc serve and worker itself. Needs the
# suite's jar (ETS_JAR, or network access to build it: see README).
ets:
	bash scripts/ets.sh $(ETS_URL)

# Schema-driven fuzzing of the HTTP API (schemathesis, pinned): no 5xx allowed.
# Without API_URL it fuzzes the ogcapi test server.
fuzz-api:
	bash scripts/schemathesis.sh $(API_URL)

clean:
	rm -rf bin
