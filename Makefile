# zarrproc — see README.md. `make test` is the one command that runs every test
# on a fresh machine: it installs and starts what the tests need by itself.
GO ?= go
BIN := bin/zarrproc

.PHONY: build test unit vet fuzz bench fixtures run-sample clean

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

# The README's "run" command: writes a sample store and inspects it.
run-sample: build
	$(BIN) sample testdata/sample.zarr >/dev/null 2>&1 || true
	$(BIN) inspect testdata/sample.zarr

clean:
	rm -rf bin
