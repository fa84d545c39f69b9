#!/bin/sh
# Cross-platform check: builds the server and vets every package for the
# platforms SFTPGo ships besides Linux, without cgo (the SQLite driver
# then answers with a clear error at start: see docs/install.md).
#   scripts/cross.sh              # darwin, windows, freebsd on amd64
#   scripts/cross.sh windows      # only the named GOOS values
set -eu
cd "$(dirname "$0")/.."
targets=${*:-"darwin windows freebsd"}
status=0
for os in $targets; do
	echo "== GOOS=$os GOARCH=amd64 CGO_ENABLED=0"
	if ! GOOS=$os GOARCH=amd64 CGO_ENABLED=0 go build -o /dev/null ./cmd/sftpgo; then
		echo "build failed for $os" >&2
		status=1
		continue
	fi
	if ! GOOS=$os GOARCH=amd64 CGO_ENABLED=0 go vet ./...; then
		echo "vet failed for $os" >&2
		status=1
	fi
done
exit $status
