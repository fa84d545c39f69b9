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
# Go 1.26's fuzz coordinator can fail a target with a bare "context
# deadline exceeded" as -fuzztime ends, having found nothing (a race
# between the deadline and its workers' context: go.dev/issue/75804, fixed
# in Go 1.27). Such a run is retried, at most twice; a run that found a
# failing input (it says "Failing input written to") or failed any other
# way fails at once.
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for t in "${targets[@]}"; do
	set -- $t
	for attempt in 1 2 3; do
		echo "fuzz: $2 in $1 for $FUZZTIME"
		if go test "$1" -run '^$' -fuzz "^$2\$" -fuzztime "$FUZZTIME" -parallel "$FUZZPARALLEL" 2>&1 | tee "$out"; then
			break
		fi
		if [ "$attempt" -lt 3 ] && grep -q 'context deadline exceeded' "$out" && ! grep -q 'Failing input written to' "$out"; then
			echo "fuzz: $2 ended on the coordinator's deadline race with nothing found; running it again"
			continue
		fi
		exit 1
	done
done
