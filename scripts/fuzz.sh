#!/usr/bin/env bash
# Runs the fuzz targets that guard untrusted input for a bounded time each
# (FUZZTIME, default 30s in CI). `FUZZTIME=10m bash scripts/fuzz.sh` is the
# longer run the security notes refer to. New corpus entries that fail are
# written under testdata/fuzz/ of their package, as go test does.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZTIME="${FUZZTIME:-30s}"
# FUZZPARALLEL workers per target (default 2); 1 on a shared machine
FUZZPARALLEL="${FUZZPARALLEL:-2}"
# package target
targets=(
	"./internal/sftpd FuzzSFTPPackets"
	"./internal/ftpd FuzzControlCommands"
	"./internal/httpd FuzzDecodeJSON"
	"./internal/httpd FuzzRESTPaths"
	"./internal/httpd FuzzPathParamName"
	"./internal/httpd FuzzResetCode"
	"./internal/vfs/httpfs FuzzReadDirReply"
)
for t in "${targets[@]}"; do
	set -- $t
	echo "fuzz: $2 in $1 for $FUZZTIME"
	go test "$1" -run '^$' -fuzz "^$2\$" -fuzztime "$FUZZTIME" -parallel "$FUZZPARALLEL"
done
