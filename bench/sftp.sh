#!/usr/bin/env bash
# SFTP and SCP throughput: our server against OpenSSH's sftp-server
# (internal-sftp), same OpenSSH client, same cipher, files on tmpfs,
# rounds alternating between the two servers. Prints a Markdown table.
#
# usage: bench/sftp.sh [SIZE_MB] [ROUNDS]
source "$(dirname "$0")/lib.sh"

SIZE_MB=${1:-256}
ROUNDS=${2:-5}
CIPHER=${CIPHER:-aes128-gcm@openssh.com}

ensure_pkgs sftp:openssh-client sshd:openssh-server curl:curl python3:python3
[ -x "$BIN" ] || (cd "$BENCH_ROOT" && make build >/dev/null)

WORK=$(mktemp -d /dev/shm/sftpgo-bench.XXXXXX)
cleanup() {
  [ -n "${SFTPGO_PID:-}" ] && kill "$SFTPGO_PID" 2>/dev/null || true
  [ -n "${SSHD_PID:-}" ] && kill "$SSHD_PID" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

ssh-keygen -q -t ed25519 -N '' -f "$WORK/client_key"
head -c "$((SIZE_MB * 1048576))" /dev/urandom >"$WORK/payload"
BYTES=$((SIZE_MB * 1048576))

start_sftpgo "$WORK/sftpgo"
mkdir -p "$WORK/home-sftpgo" "$WORK/home-openssh"
sftpgo_add_user bench "$WORK/home-sftpgo" "$WORK/client_key.pub"
start_sshd "$WORK/sshd" "$WORK/client_key.pub"

SSH_OPTS=(-q -i "$WORK/client_key" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
  -o BatchMode=yes -c "$CIPHER")

# run_sftp NAME PORT USER REMOTE_DIR OP -> prints MB/s
run_sftp() {
  local port=$2 user=$3 rdir=$4 op=$5 t0 t1
  local batch="$WORK/batch"
  if [ "$op" = put ]; then
    echo "put $WORK/payload $rdir/payload" >"$batch"
  else
    echo "get $rdir/payload $WORK/download" >"$batch"
  fi
  t0=$(now_ns)
  sftp "${SSH_OPTS[@]}" -P "$port" -b "$batch" "$user@127.0.0.1" >/dev/null
  t1=$(now_ns)
  if [ "$op" = get ]; then cmp -s "$WORK/payload" "$WORK/download" || { echo "download corrupted" >&2; exit 1; }; rm -f "$WORK/download"; fi
  mbps "$BYTES" "$((t1 - t0))"
}

run_scp() {
  local port=$2 user=$3 rdir=$4 op=$5 t0 t1
  t0=$(now_ns)
  if [ "$op" = put ]; then
    scp "${SSH_OPTS[@]}" -P "$port" "$WORK/payload" "$user@127.0.0.1:$rdir/payload" >/dev/null
  else
    scp "${SSH_OPTS[@]}" -P "$port" "$user@127.0.0.1:$rdir/payload" "$WORK/download" >/dev/null
  fi
  t1=$(now_ns)
  if [ "$op" = get ]; then cmp -s "$WORK/payload" "$WORK/download" || { echo "scp download corrupted" >&2; exit 1; }; rm -f "$WORK/download"; fi
  mbps "$BYTES" "$((t1 - t0))"
}

declare -A R
ME=$(id -un)
for tool in sftp scp; do
  for op in put get; do
    for _ in $(seq 1 "$ROUNDS"); do
      R[$tool-$op-ours]+="$("run_$tool" ours "$SFTPGO_SFTP_PORT" bench / "$op") "
      R[$tool-$op-openssh]+="$("run_$tool" openssh "$SSHD_PORT" "$ME" "$WORK/home-openssh" "$op") "
    done
  done
done

echo "| transfer (${SIZE_MB} MiB, ${CIPHER}, ${ROUNDS} rounds) | ours best / median MB/s | OpenSSH best / median MB/s | ratio (median) |"
echo "| --- | --- | --- | --- |"
for tool in sftp scp; do
  for op in put get; do
    read -r ob om <<<"$(stats ${R[$tool-$op-ours]})"
    read -r pb pm <<<"$(stats ${R[$tool-$op-openssh]})"
    label="$tool $([ "$op" = put ] && echo upload || echo download)"
    echo "| $label | $ob / $om | $pb / $pm | $(ratio "$om" "$pm") |"
  done
done
