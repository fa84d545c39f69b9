#!/usr/bin/env bash
# Server cost per operation, the measures that stay meaningful on a busy
# machine (wall-clock throughput does not): CPU time of the server process
# (utime + stime from /proc) per file or per GiB, its context switches, and
# optionally its system calls (strace -c -f) and a CPU profile (pprof from
# the telemetry listener). Ours only; compare builds with SFTPGO_BIN.
#
# usage: bench/perop.sh OP [COUNT]
#   ftp-put   lftp mirror -R of COUNT (2000) files of 4 KiB
#   sftp-put  OpenSSH sftp put -r of COUNT (2000) files of 4 KiB
#   dav-get   COUNT (10) curl GETs of a 64 MiB file over WebDAV
#   ftp-get   COUNT (10) curl GETs of a 64 MiB file over FTP (passive)
# environment: ROUNDS (3), STRACE=FILE (strace -c -f of one extra round),
# PROF=FILE (CPU profile of one extra round, PROF_S seconds, default 8)
source "$(dirname "$0")/lib.sh"

OP=${1:?usage: bench/perop.sh ftp-put|sftp-put|dav-get|ftp-get [COUNT]}
case "$OP" in
  *-put) N=${2:-2000} ;;
  *) N=${2:-10} ;;
esac
ROUNDS=${ROUNDS:-3}

ensure_pkgs sftp:openssh-client lftp:lftp curl:curl python3:python3 openssl:openssl strace:strace
ensure_binary

W=$(mktemp -d "$BENCH_TMP/sftpgo-bench-perop.XXXXXX")
SG_PID=""
trap 'kill_wait "$SG_PID"; rm -rf "$W"' EXIT
ssh-keygen -q -t ed25519 -N '' -f "$W/key"
mkdir -p "$W/home"
TP=$(free_port)
start_sftpgo "$W/cfg" SFTPGO_TELEMETRY__BIND_PORT="$TP" SFTPGO_TELEMETRY__BIND_ADDRESS=127.0.0.1 \
  SFTPGO_TELEMETRY__ENABLE_PROFILER=true
sftpgo_add_user bench bench-Pa55 "$W/home" "$W/key.pub"
case "$OP" in
  *-put) make_small_files "$W/small" "$N" ;;
  *) make_payload "$W/home/payload" 64 ;;
esac

# once ROUND: one round of the operation
once() {
  case "$OP" in
    ftp-put) HOME=$W lftp -c "set cmd:fail-exit yes; set ftp:ssl-allow no; open -u bench,bench-Pa55 ftp://127.0.0.1:$SG_FTP; mirror -R --no-perms $W/small r$1" >/dev/null ;;
    sftp-put) echo "put -r $W/small /r$1" | sftp -q -i "$W/key" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
      -o BatchMode=yes -c aes128-gcm@openssh.com -P "$SG_SFTP" -b - bench@127.0.0.1 >/dev/null ;;
    dav-get | ftp-get)
      local url
      if [ "$OP" = dav-get ]; then url="http://127.0.0.1:$SG_DAV/payload"; else url="ftp://127.0.0.1:$SG_FTP/payload"; fi
      for _ in $(seq 1 "$N"); do curl -sf -u bench:bench-Pa55 -o "$W/dl" "$url"; done
      cmp -s "$W/dl" "$W/home/payload" || { echo "download corrupted" >&2; exit 1; } ;;
  esac
}
ctxsw() { cat /proc/"$1"/task/*/status 2>/dev/null | awk '/ctxt_switches/ { s += $2 } END { print s + 0 }'; }

once warm
if [ -n "${STRACE:-}" ]; then
  strace -c -f -o "$STRACE" -p "$SG_PID" 2>/dev/null &
  sp=$!
  sleep 1
  once strace
  kill -INT "$sp"
  wait "$sp" || true
  echo "strace -c -f of one round in $STRACE"
fi
if [ -n "${PROF:-}" ]; then
  curl -s -o "$PROF" "http://127.0.0.1:$TP/debug/pprof/profile?seconds=${PROF_S:-8}" &
  cp=$!
  sleep 0.2
  i=0
  while kill -0 "$cp" 2>/dev/null; do once "prof$i"; i=$((i + 1)); done
  wait "$cp" || true
  echo "CPU profile in $PROF (go tool pprof -top $BIN $PROF)"
fi
tck=$(getconf CLK_TCK)
for r in $(seq 1 "$ROUNDS"); do
  x0=$(ctxsw "$SG_PID") c0=$(cpu_ticks "$SG_PID")
  once "$r"
  c1=$(cpu_ticks "$SG_PID") x1=$(ctxsw "$SG_PID")
  case "$OP" in
    *-put) awk -v c=$((c1 - c0)) -v hz="$tck" -v n="$N" -v x=$((x1 - x0)) -v r="$r" -v l="$(load_avg)" \
      'BEGIN { printf "round %d: server CPU %.0f us/file, %.1f context switches/file (load %s)\n", r, c / hz * 1e6 / n, x / n, l }' ;;
    *) awk -v c=$((c1 - c0)) -v hz="$tck" -v n="$N" -v x=$((x1 - x0)) -v r="$r" -v l="$(load_avg)" \
      'BEGIN { printf "round %d: server CPU %.2f s/GiB, %.0f context switches/GiB (load %s)\n", r, c / hz / (n / 16), x / (n / 16), l }' ;;
  esac
done
