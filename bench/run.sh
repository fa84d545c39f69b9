#!/usr/bin/env bash
# `make bench`: every protocol against its peer, the memory per session,
# then the Go benchmarks. Prints the tables, keeps a copy in
# bench/results/ and replaces the generated part of docs/performance.md.
#
# Knobs (environment): BENCH_SIZE_MB (256), BENCH_ROUNDS (5),
# BENCH_SMALL (10000 files of 4 KiB), BENCH_SMALL_ROUNDS (3),
# BENCH_SESSIONS (200), BENCH_ONLY (space-separated subset of
# "sftp ftp webdav cloud sessions scale go"), BENCH_NO_DOCS=1 to leave the docs alone.
# PEER_SFTPGO_BIN=/path/to/sftpgo adds an SFTPGo column to every table
# (unset: "not measured"). bench/scale.sh has its own knobs (LOGINS,
# CONC_SESSIONS, CONC_MIB, BIG_MB, BIG_DIR, CRYPT_MB, SCALE_ROUNDS,
# SCALE_ONLY); BIG_MB=256 makes a quick run of the 10 GiB row.
# BENCH_ONLY may also name "soak" (bench/soak.sh: 500 SFTP + 200 FTP + 200
# WebDAV sessions at once), which the default list leaves out.
source "$(dirname "$0")/lib.sh"

SIZE=${BENCH_SIZE_MB:-256}
ROUNDS=${BENCH_ROUNDS:-5}
SMALL=${BENCH_SMALL:-10000}
SMALL_ROUNDS=${BENCH_SMALL_ROUNDS:-3}
SESSIONS=${BENCH_SESSIONS:-200}
ONLY=${BENCH_ONLY:-"sftp ftp webdav cloud sessions scale go"}

ensure_pkgs sftp:openssh-client sshd:openssh-server lftp:lftp vsftpd:vsftpd apache2:apache2 \
  htpasswd:apache2-utils curl:curl openssl:openssl python3:python3
ensure_binary

mkdir -p "$BENCH_ROOT/bench/results"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
out="$BENCH_ROOT/bench/results/$stamp.md"
wants() { [[ " $ONLY " == *" $1 "* ]]; }

section() {
  echo "### $1"
  echo
  echo "Load average before: $(load_avg)"
  echo
}

{
  echo "Run $(date -u +%Y-%m-%dT%H:%MZ), commit $(cd "$BENCH_ROOT" && git rev-parse --short HEAD 2>/dev/null || echo unknown)," \
    "command \`make bench\`$([ -n "${BENCH_ONLY:-}" ] && echo " (BENCH_ONLY=\"$ONLY\")")."
  echo
  echo "Machine: $(nproc) cores ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo))," \
    "$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) RAM, $(uname -sr), data on tmpfs," \
    "everything on loopback. Ratios are ours / peer of the medians (higher is better for throughput)." \
    "SFTPGo column: $(if [ -n "${PEER_SFTPGO_BIN:-}" ]; then "$PEER_SFTPGO_BIN" --version 2>/dev/null | head -1 || echo "$PEER_SFTPGO_BIN"; else echo "not measured (PEER_SFTPGO_BIN unset)"; fi)."
  echo
  if wants sftp; then
    section "SFTP and SCP against OpenSSH sshd (internal-sftp)"
    bash "$BENCH_ROOT/bench/sftp.sh" "$SIZE" "$ROUNDS" "$SMALL" "$SMALL_ROUNDS"
    echo
  fi
  if wants ftp; then
    section "FTP and FTPS against vsftpd"
    bash "$BENCH_ROOT/bench/ftp.sh" "$SIZE" "$ROUNDS" "$SMALL" "$SMALL_ROUNDS"
    echo
  fi
  if wants webdav; then
    section "WebDAV against Apache mod_dav"
    bash "$BENCH_ROOT/bench/webdav.sh" "$SIZE" "$ROUNDS" "$SMALL" "$SMALL_ROUNDS"
    echo
  fi
  if wants cloud; then
    section "Cloud storage backends against their emulators"
    bash "$BENCH_ROOT/bench/cloud.sh" "${BENCH_CLOUD_ROUNDS:-3}"
    echo
  fi
  if wants sessions; then
    section "Memory per SFTP session"
    bash "$BENCH_ROOT/bench/sessions.sh" "$SESSIONS"
    echo
  fi
  if wants scale; then
    section "Scale: logins, 1000 concurrent sessions, a 10 GiB upload, cryptfs"
    bash "$BENCH_ROOT/bench/scale.sh" || echo "scale.sh failed (exit $?): see its messages above"
    echo
  fi
  if wants soak; then
    section "Soak: SFTP, FTP and WebDAV sessions at once"
    bash "$BENCH_ROOT/bench/soak.sh" || echo "soak.sh failed (exit $?): see its messages above"
    echo
  fi
  if wants go; then
    section "Go benchmarks"
    echo '```'
    (cd "$BENCH_ROOT" && go test -p 1 -run '^$' -bench . -benchmem -benchtime "${BENCH_GO_TIME:-3x}" -timeout 30m \
      $(grep -rl --include='*_test.go' '^func Benchmark' internal | xargs -n1 dirname | sort -u | sed 's|^|./|') 2>&1 |
      grep -E '^(Benchmark|ok|FAIL|--- FAIL|panic)' || true)
    echo '```'
    echo
  fi
  echo "Load average after: $(load_avg)"
} | tee "$out"
echo "written to $out" >&2

if [ -z "${BENCH_NO_DOCS:-}" ]; then
  python3 - "$BENCH_ROOT/docs/performance.md" "$out" <<'PY'
import sys, pathlib
doc, res = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]).read_text()
begin, end = "<!-- make bench: begin -->", "<!-- make bench: end -->"
text = doc.read_text() if doc.exists() else "# Performance\n\n## Benchmark results (make bench)\n\n" + begin + "\n" + end + "\n"
if begin not in text or end not in text:
    text += "\n## Benchmark results (make bench)\n\n" + begin + "\n" + end + "\n"
head, rest = text.split(begin, 1)
_, tail = rest.split(end, 1)
doc.write_text(head + begin + "\n" + res.rstrip("\n") + "\n" + end + tail)
PY
  echo "docs/performance.md updated" >&2
fi
