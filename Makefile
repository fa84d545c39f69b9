# Build, run and test the server. `make run` and `make test` are the two
# quick-start commands of the README.

GO        ?= go
BINARY    ?= sftpgo
PKG       := github.com/sftpgo-ng/sftpgo
COMMIT    := $(shell git rev-parse --short HEAD 2>/dev/null)
# The commit's date, not the clock: an unchanged tree links the same binary.
DATE      := $(shell git log -1 --format=%cd --date=format-local:%Y-%m-%dT%H:%M:%SZ 2>/dev/null)
LDFLAGS   := -s -w -X $(PKG)/internal/version.commit=$(COMMIT) -X $(PKG)/internal/version.date=$(DATE)
# Packages whose tests exercise concurrency run again under the race detector.
RACE_PKGS := ./internal/common/... ./internal/vfs/... ./internal/dataprovider/... ./internal/sftpd/... ./internal/httpd/... ./internal/webdavd/... ./internal/ftpd/...
# First admin for a local `make run`; override on the command line.
ADMIN_USER     ?= admin
ADMIN_PASSWORD ?= password
# Where `make run` listens; ADDRESS= (empty) listens on every interface.
ADDRESS        ?= 127.0.0.1
SFTP_PORT      ?= 2022
HTTP_PORT      ?= 8080
# `make run` keeps its database, keys and backups here, outside git.
RUN_DIR        ?= run
# Everything that goes into the binary: rebuild only when one changed.
SOURCES := go.mod go.sum $(shell find cmd internal static templates openapi -type f ! -name '*_test.go' 2>/dev/null)

.PHONY: build run test test-deps test-go test-race test-fuzz test-cross lint bench clean

build: $(BINARY)

$(BINARY): $(SOURCES)
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BINARY) ./cmd/sftpgo

run: $(BINARY)
	mkdir -p $(RUN_DIR)
	SFTPGO_DATA_PROVIDER__CREATE_DEFAULT_ADMIN=true \
	SFTPGO_DEFAULT_ADMIN_USERNAME=$(ADMIN_USER) \
	SFTPGO_DEFAULT_ADMIN_PASSWORD=$(ADMIN_PASSWORD) \
	SFTPGO_SFTPD__BINDINGS__0__ADDRESS=$(ADDRESS) \
	SFTPGO_SFTPD__BINDINGS__0__PORT=$(SFTP_PORT) \
	SFTPGO_HTTPD__BINDINGS__0__ADDRESS=$(ADDRESS) \
	SFTPGO_HTTPD__BINDINGS__0__PORT=$(HTTP_PORT) \
	./$(BINARY) serve --config-dir $(RUN_DIR) --config-file $(CURDIR)/sftpgo.json --log-file-path - --log-level info

test: test-deps lint build test-cross test-go test-race test-fuzz

test-deps:
	bash scripts/install-test-deps.sh

test-go:
	$(GO) test -p 2 -count=1 -timeout 20m ./...

test-race:
	$(GO) test -p 2 -count=1 -race -timeout 20m $(RACE_PKGS)

# The server builds and vets for macOS, Windows and FreeBSD (no cgo).
test-cross:
	sh scripts/cross.sh

# Bounded fuzzing of the parsers of untrusted input; FUZZTIME=10m for a
# long run.
test-fuzz:
	bash scripts/fuzz.sh

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) mod tidy -diff
	@test -x "$$($(GO) env GOPATH)/bin/staticcheck" || { echo "staticcheck missing: run scripts/install-test-deps.sh"; exit 1; }
	$$($(GO) env GOPATH)/bin/staticcheck ./...

bench: build
	bash bench/run.sh

clean:
	rm -f $(BINARY)
