#!/usr/bin/env bash
# Server memory per SFTP session: N concurrent sessions against `sftpgo
# serve` and against OpenSSH's sshd (internal-sftp), both fresh for each
# scenario, the same client (bench/sftpsessions, pkg/sftp over
# x/crypto/ssh, one SSH connection per session). Memory is the summed
# proportional set size (PSS) of the server's processes (sshd forks two per
# connection, ours is one process), sampled for a few seconds once every
# session is in place; per session = (peak - before) / N.
#
# Scenarios:
#   idle      logged in, sftp subsystem started, one stat
#   download  every session downloading a FILE_MB file in a loop, 255 KiB
#             per READ (what OpenSSH's client uses with both servers)
#   stalled   every session opened a 64 MiB file, asked for all of it at
#             once (256 READs of 255 KiB) and never reads the replies: a
#             client that stops reading must not make the server buffer
#             the file
#
# usage: bench/sessions.sh [SESSIONS] [FILE_MB]
source "$(dirname "$0")/lib.sh"

N=${1:-200}
FILE_MB=${2:-16}
SAMPLE_SECONDS=${SAMPLE_SECONDS:-4}

ensure_pkgs sftp:openssh-client sshd:openssh-server curl:curl python3:python3 openssl:openssl
ensure_binary

WORK=$(mktemp -d "$BENCH_TMP/sftpgo-bench-sessions.XXXXXX")
SG_PID="" SP_PID="" SSHD_PID="" TOOL_PID=""
cleanup() {
  kill_wait "$TOOL_PID" "$SG_PID" "$SP_PID" "$SSHD_PID"
  rm -rf "$WORK"
}
trap cleanup EXIT

(cd "$BENCH_ROOT" && go build -o "$WORK/sftpsessions" ./bench/sftpsessions)
ssh-keygen -q -t ed25519 -N '' -f "$WORK/client_key"
mkdir -p "$WORK/home-ours" "$WORK/home-openssh"
make_payload "$WORK/home-ours/file" "$FILE_MB"
make_payload "$WORK/home-ours/big" 64
cp "$WORK/home-ours/file" "$WORK/home-ours/big" "$WORK/home-openssh/"
ME=$(id -un)

# server_mem SERVER: PSS in KiB of the server's process tree
server_mem() {
  case "$1" in
    ours) pss_kib "$SG_PID" ;;
    sftpgo) pss_kib "$SP_PID" ;;
    *) pss_kib $(tree_pids "$SSHD_PID") ;;
  esac
}

# measure SERVER MODE: prints "per_session_KiB peak_total_MiB"
measure() {
  local server=$1 mode=$2 port user path before peak=0 m line args=()
  if [ "$server" = ours ]; then
    rm -rf "$WORK/ours"
    start_sftpgo "$WORK/ours"
    sftpgo_add_user bench bench-Pa55 "$WORK/home-ours" "$WORK/client_key.pub"
    port=$SG_SFTP user=bench path=/
  elif [ "$server" = sftpgo ]; then
    rm -rf "$WORK/sftpgo"
    start_sftpgo_peer "$WORK/sftpgo"
    sftpgo_peer_add_user bench bench-Pa55 "$WORK/home-ours" "$WORK/client_key.pub"
    port=$SP_SFTP user=bench path=/
  else
    start_sshd "$WORK/sshd" "$WORK/client_key.pub"
    port=$SSHD_PORT user=$ME path=$WORK/home-openssh/
  fi
  case "$mode" in
    stalled) args=(-mode stall -reads 256 -len 261120 -path "${path}big") ;;
    *) args=(-mode "$mode" -path "${path}file") ;;
  esac
  sleep 1
  before=$(server_mem "$server")
  coproc TOOL { "$WORK/sftpsessions" -addr "127.0.0.1:$port" -user "$user" -key "$WORK/client_key" \
    -n "$N" "${args[@]}" 2>"$WORK/tool.err"; }
  TOOL_PID=$TOOL_PID
  if ! read -r -t 300 line <&"${TOOL[0]}" || [ "$line" != ready ]; then
    echo "$server $mode: sessions did not start: $(cat "$WORK/tool.err")" >&2
    exit 1
  fi
  for _ in $(seq 1 $((SAMPLE_SECONDS * 4))); do
    m=$(server_mem "$server")
    [ "$m" -gt "$peak" ] && peak=$m
    sleep 0.25
  done
  exec {TOOL[1]}>&-
  wait "$TOOL_PID" 2>/dev/null || true
  TOOL_PID=""
  case "$server" in
    ours) kill_wait "$SG_PID"; SG_PID="" ;;
    sftpgo) kill_wait "$SP_PID"; SP_PID="" ;;
    *) kill_wait "$SSHD_PID"; SSHD_PID="" ;;
  esac
  awk -v p="$peak" -v b="$before" -v n="$N" 'BEGIN { printf "%.0f %.1f", (p - b) / n, p / 1024 }'
}

declare -A PER TOTAL
for mode in idle download stalled; do
  for server in $(rotation 1 openssh); do
    read -r PER[$server-$mode] TOTAL[$server-$mode] <<<"$(measure "$server" "$mode")"
  done
done

echo "| ${N} concurrent SFTP sessions (PSS of the server processes) | ours KiB per session | SFTPGo KiB per session | OpenSSH KiB per session | ours / SFTPGo (lower is better) | ours / OpenSSH (lower is better) | peak server total MiB ours / SFTPGo / OpenSSH |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
for mode in idle download stalled; do
  case "$mode" in
    idle) label="idle (logged in, one stat)" ;;
    download) label="each downloading a ${FILE_MB} MiB file in a loop" ;;
    stalled) label="stalled reader (asked for 64 MiB in 255 KiB READs, reads no reply)" ;;
  esac
  sp=${PER[sftpgo-$mode]:-not measured} st=${TOTAL[sftpgo-$mode]:-not measured}
  sr=$(if has_sftpgo_peer; then ratio "${PER[ours-$mode]}" "${PER[sftpgo-$mode]}"; else echo "not measured"; fi)
  echo "| $label | ${PER[ours-$mode]} | $sp | ${PER[openssh-$mode]} | $sr | $(ratio "${PER[ours-$mode]}" "${PER[openssh-$mode]}") | ${TOTAL[ours-$mode]} / $st / ${TOTAL[openssh-$mode]} |"
done
