#!/usr/bin/env bash
# SFTP and SCP throughput: `sftpgo serve` against OpenSSH's sshd with
# internal-sftp, both on loopback, the same OpenSSH client (sftp, scp) and
# cipher, files on tmpfs, rounds alternating which server goes first.
# Prints a Markdown table: MB/s best / median, the ratio of the medians and
# the server's CPU time per GiB moved (what bounds a 2-core machine, where
# client and server share the CPUs).
#
# Small files: SMALL files of 4 KiB uploaded with `put -r` and listed
# with `ls -l` (READDIR of SMALL entries).
#
# usage: bench/sftp.sh [SIZE_MB] [ROUNDS] [SMALL_FILES] [SMALL_ROUNDS]
source "$(dirname "$0")/lib.sh"

SIZE_MB=${1:-256}
ROUNDS=${2:-5}
SMALL=${3:-10000}
SMALL_ROUNDS=${4:-3}
CIPHER=${CIPHER:-aes128-gcm@openssh.com}
OPS=${SFTP_OPS:-"sftp-put sftp-get scp-put scp-get"}

ensure_pkgs sftp:openssh-client sshd:openssh-server curl:curl python3:python3 openssl:openssl
ensure_binary

WORK=$(mktemp -d "$BENCH_TMP/sftpgo-bench-sftp.XXXXXX")
SG_PID="" SP_PID="" SSHD_PID=""
cleanup() {
  kill_wait "$SG_PID" "$SP_PID" "$SSHD_PID"
  rm -rf "$WORK"
}
trap cleanup EXIT

ssh-keygen -q -t ed25519 -N '' -f "$WORK/client_key"
make_payload "$WORK/payload" "$SIZE_MB"
[ "$SMALL" -gt 0 ] && make_small_files "$WORK/small" "$SMALL"
BYTES=$((SIZE_MB * 1048576))

mkdir -p "$WORK/home-ours" "$WORK/home-openssh" "$WORK/home-sftpgo"
start_sftpgo "$WORK/ours"
sftpgo_add_user bench bench-Pa55 "$WORK/home-ours" "$WORK/client_key.pub"
if has_sftpgo_peer; then
  start_sftpgo_peer "$WORK/sftpgo"
  sftpgo_peer_add_user bench bench-Pa55 "$WORK/home-sftpgo" "$WORK/client_key.pub"
fi
start_sshd "$WORK/sshd" "$WORK/client_key.pub"
ME=$(id -un)

SSH_OPTS=(-q -i "$WORK/client_key" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
  -o BatchMode=yes -c "$CIPHER")

# transfer SERVER TOOL OP: appends MB/s to R[SERVER-TOOL-OP] and the
# server's CPU ticks to CPU[SERVER-TOOL-OP] (no subshell, so both stick)
declare -A R CPU
transfer() {
  local server=$1 tool=$2 op=$3 port user rdir pid t0 t1 c0 c1
  if [ "$server" = ours ]; then
    port=$SG_SFTP user=bench rdir=/ pid=$SG_PID
  elif [ "$server" = sftpgo ]; then
    port=$SP_SFTP user=bench rdir=/ pid=$SP_PID
  else
    port=$SSHD_PORT user=$ME rdir=$WORK/home-openssh pid=$SSHD_PID
  fi
  c0=$(cpu_ticks "$pid")
  t0=$(now_ns)
  case "$tool-$op" in
    sftp-put) echo "put $WORK/payload $rdir/payload" | sftp "${SSH_OPTS[@]}" -P "$port" -b - "$user@127.0.0.1" >/dev/null ;;
    sftp-get) echo "get $rdir/payload $WORK/download" | sftp "${SSH_OPTS[@]}" -P "$port" -b - "$user@127.0.0.1" >/dev/null ;;
    # -O: the original SCP protocol (OpenSSH 9 speaks SFTP unless told)
    scp-put) scp -O "${SSH_OPTS[@]}" -P "$port" "$WORK/payload" "$user@127.0.0.1:$rdir/payload" >/dev/null ;;
    scp-get) scp -O "${SSH_OPTS[@]}" -P "$port" "$user@127.0.0.1:$rdir/payload" "$WORK/download" >/dev/null ;;
  esac
  t1=$(now_ns)
  sleep 0.2 # let sshd reap the session process so its CPU time is counted
  c1=$(cpu_ticks "$pid")
  CPU[$server-$tool-$op]=$((${CPU[$server-$tool-$op]:-0} + c1 - c0))
  if [ "$op" = get ]; then
    cmp -s "$WORK/payload" "$WORK/download" || { echo "$server $tool download corrupted" >&2; exit 1; }
    rm -f "$WORK/download"
  fi
  R[$server-$tool-$op]+="$(mbps "$BYTES" "$((t1 - t0))") "
}

# small_files SERVER ROUND: put -r of SMALL files, then ls -l of them
small_files() {
  local server=$1 port user rdir t0 t1 n
  if [ "$server" = ours ]; then
    port=$SG_SFTP user=bench rdir=/small-$2
  elif [ "$server" = sftpgo ]; then
    port=$SP_SFTP user=bench rdir=/small-$2
  else
    port=$SSHD_PORT user=$ME rdir=$WORK/home-openssh/small-$2
  fi
  t0=$(now_ns)
  echo "put -r $WORK/small $rdir" | sftp "${SSH_OPTS[@]}" -P "$port" -b - "$user@127.0.0.1" >/dev/null
  t1=$(now_ns)
  R[$server-small-put]+="$(rate "$SMALL" "$((t1 - t0))") "
  t0=$(now_ns)
  echo "ls -l $rdir" | sftp "${SSH_OPTS[@]}" -P "$port" -b - "$user@127.0.0.1" >"$WORK/ls.out"
  t1=$(now_ns)
  n=$(grep -c "f[0-9]\{5\}$" "$WORK/ls.out" || true)
  [ "$n" -eq "$SMALL" ] || { echo "$server: listed $n of $SMALL files" >&2; exit 1; }
  R[$server-small-list]+="$(rate "$SMALL" "$((t1 - t0))") "
}

for round in $(seq 1 "$ROUNDS"); do
  for o in $OPS; do
    tool=${o%-*} op=${o#*-}
    order=$(rotation "$round" openssh)
    for server in $order; do
      transfer "$server" "$tool" "$op"
    done
  done
done

if [ "$SMALL" -gt 0 ]; then
  for round in $(seq 1 "$SMALL_ROUNDS"); do
    order=$(rotation "$round" openssh)
    for server in $order; do small_files "$server" "$round"; done
  done
fi

# cpu_per_gib SERVER-TOOL-OP: server CPU seconds per GiB moved.
tck=$(getconf CLK_TCK)
cpu_per_gib() { awk -v t="${CPU[$1]:-0}" -v hz="$tck" -v n="$ROUNDS" -v mb="$SIZE_MB" 'BEGIN { printf "%.2f", (t / hz) / (n * mb / 1024) }'; }

# cpu_col SERVER-TOOL-OP of the SFTPGo column
cpu_sftpgo() { if has_sftpgo_peer; then cpu_per_gib "sftpgo-$1"; else echo "not measured"; fi; }
echo "| SFTP / SCP (${SIZE_MB} MiB file, ${CIPHER}, OpenSSH $(ssh -V 2>&1 | sed 's/OpenSSH_\([^ ,]*\).*/\1/') client, ${ROUNDS} rounds; ${SMALL} x 4 KiB, ${SMALL_ROUNDS} rounds) | ours best / median | SFTPGo best / median | OpenSSH best / median | ours / SFTPGo (median) | ours / OpenSSH (median) | server CPU s/GiB ours / SFTPGo / OpenSSH |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
for o in $OPS; do
  tool=${o%-*} op=${o#*-}
  case "$o" in
    sftp-put) label="SFTP upload, MB/s" ;;
    sftp-get) label="SFTP download, MB/s" ;;
    scp-put) label="SCP upload (scp -O), MB/s" ;;
    scp-get) label="SCP download (scp -O), MB/s" ;;
  esac
  echo "$(row3 "$label" "${R[ours-$tool-$op]}" "${R[sftpgo-$tool-$op]:-}" "${R[openssh-$tool-$op]}") $(cpu_per_gib "ours-$tool-$op") / $(cpu_sftpgo "$tool-$op") / $(cpu_per_gib "openssh-$tool-$op") |"
done
if [ "$SMALL" -gt 0 ]; then
  echo "$(row3 "SFTP ${SMALL} x 4 KiB upload (put -r), files/s" "${R[ours-small-put]}" "${R[sftpgo-small-put]:-}" "${R[openssh-small-put]}") |"
  echo "$(row3 "SFTP listing of ${SMALL} entries (ls -l), entries/s" "${R[ours-small-list]}" "${R[sftpgo-small-list]:-}" "${R[openssh-small-list]}") |"
fi
