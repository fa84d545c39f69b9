#!/usr/bin/env bash
# `make bench`: every benchmark script, then the Go benchmarks. The tables
# go to stdout and into bench/results/ for docs/performance.md.
source "$(dirname "$0")/lib.sh"
mkdir -p "$BENCH_ROOT/bench/results"
out="$BENCH_ROOT/bench/results/$(date -u +%Y%m%dT%H%M%SZ).md"
{
  echo "# Benchmark run $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr); command: make bench"
  echo
  echo "## SFTP / SCP against OpenSSH sftp-server"
  echo
  bash "$BENCH_ROOT/bench/sftp.sh" "${BENCH_SIZE_MB:-256}" "${BENCH_ROUNDS:-5}"
  echo
  echo "## FTP / FTPS against vsftpd"
  echo
  bash "$BENCH_ROOT/bench/ftp.sh" "${BENCH_SIZE_MB:-256}" "${BENCH_ROUNDS:-5}"
  echo
  echo "## WebDAV against Apache mod_dav"
  echo
  bash "$BENCH_ROOT/bench/webdav.sh" "${BENCH_SIZE_MB:-256}" "${BENCH_ROUNDS:-5}" 200
  echo "## Cloud storage backends against their emulators"
  echo
  bash "$BENCH_ROOT/bench/cloud.sh" "${BENCH_CLOUD_ROUNDS:-3}"
  echo
  echo "## Go benchmarks"
  echo
  echo '```'
  (cd "$BENCH_ROOT" && go test -run '^$' -bench . -benchtime 3x ./internal/... 2>&1 | grep -E '^(Benchmark|ok|FAIL|goos|cpu)' || true)
  echo '```'
} | tee "$out"
echo "written to $out"
