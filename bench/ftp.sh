#!/usr/bin/env bash
# FTP and FTPS throughput: `sftpgo serve` against vsftpd, both on
# loopback, the same client (lftp), files on tmpfs, rounds alternating
# which server goes first. FTPS is explicit (AUTH TLS) with protected data
# connections. Small files: SMALL files of 4 KiB uploaded with `mirror -R`
# (one data connection per file) and listed with `cls` (MLSD where offered).
#
# vsftpd runs with its own config and its anonymous account writing into
# pub/ (a local account would need PAM and a system user); our side logs in
# with a password. Logins happen once per transfer, so this does not move
# the results.
#
# usage: bench/ftp.sh [SIZE_MB] [ROUNDS] [SMALL_FILES] [SMALL_ROUNDS]
source "$(dirname "$0")/lib.sh"

SIZE_MB=${1:-256}
ROUNDS=${2:-5}
SMALL=${3:-10000}
SMALL_ROUNDS=${4:-3}

ensure_pkgs lftp:lftp vsftpd:vsftpd openssl:openssl python3:python3 curl:curl
ensure_binary

WORK=$(mktemp -d "$BENCH_TMP/sftpgo-bench-ftp.XXXXXX")
chmod 755 "$WORK"
SG_PID="" SP_PID="" VSFTPD_PID=""
cleanup() {
  kill_wait "$SG_PID" "$SP_PID" "$VSFTPD_PID"
  rm -rf "$WORK"
}
trap cleanup EXIT

BYTES=$((SIZE_MB * 1048576))
make_payload "$WORK/payload" "$SIZE_MB"
[ "$SMALL" -gt 0 ] && make_small_files "$WORK/small" "$SMALL"

# --- our server
mkdir -p "$WORK/home-ours"
ssh-keygen -q -t ed25519 -N '' -f "$WORK/client_key"
start_sftpgo "$WORK/ours"
sftpgo_add_user bench bench-Pa55 "$WORK/home-ours" "$WORK/client_key.pub"
if has_sftpgo_peer; then
  mkdir -p "$WORK/home-sftpgo"
  start_sftpgo_peer "$WORK/sftpgo"
  sftpgo_peer_add_user bench bench-Pa55 "$WORK/home-sftpgo" "$WORK/client_key.pub"
fi

# --- vsftpd
VS_PORT=$(free_port)
mkdir -p "$WORK/vsftpd/root/pub" /var/run/vsftpd/empty
chown ftp "$WORK/vsftpd/root/pub"
chmod 555 "$WORK/vsftpd/root"
self_signed_cert "$WORK/vsftpd"
cat >"$WORK/vsftpd/vsftpd.conf" <<CFG
listen=YES
listen_ipv6=NO
listen_address=127.0.0.1
listen_port=$VS_PORT
background=NO
seccomp_sandbox=NO
anonymous_enable=YES
no_anon_password=YES
anon_root=$WORK/vsftpd/root
anon_upload_enable=YES
anon_mkdir_write_enable=YES
anon_other_write_enable=YES
anon_umask=022
write_enable=YES
local_enable=NO
pasv_enable=YES
pasv_address=127.0.0.1
connect_from_port_20=NO
xferlog_enable=NO
max_clients=0
max_per_ip=0
ssl_enable=YES
allow_anon_ssl=YES
force_anon_logins_ssl=NO
force_anon_data_ssl=NO
require_ssl_reuse=NO
ssl_ciphers=HIGH
rsa_cert_file=$WORK/vsftpd/cert.pem
rsa_private_key_file=$WORK/vsftpd/key.pem
CFG
/usr/sbin/vsftpd "$WORK/vsftpd/vsftpd.conf" >"$WORK/vsftpd.log" 2>&1 &
VSFTPD_PID=$!
wait_port 127.0.0.1 "$VS_PORT"

# lftp_run SERVER MODE COMMANDS
lftp_run() {
  local server=$1 mode=$2 port user pass tls
  if [ "$server" = ours ]; then
    port=$SG_FTP user=bench pass=bench-Pa55
  elif [ "$server" = sftpgo ]; then
    port=$SP_FTP user=bench pass=bench-Pa55
  else
    port=$VS_PORT user=anonymous pass=bench@
  fi
  if [ "$mode" = ftps ]; then
    tls="set ftp:ssl-force yes; set ftp:ssl-protect-data yes; set ssl:verify-certificate no"
  else
    tls="set ftp:ssl-allow no"
  fi
  HOME=$WORK lftp -c "set cmd:fail-exit yes; set net:max-retries 1; set xfer:clobber yes; $tls; open -u '$user','$pass' ftp://127.0.0.1:$port; $3" >"$WORK/lftp.out"
}

# remote_dir SERVER: where uploads go
remote_dir() { if [ "$1" = vsftpd ]; then echo pub; else echo .; fi; }

declare -A R
# transfer SERVER MODE OP: appends MB/s to R[SERVER-MODE-OP]
transfer() {
  local server=$1 mode=$2 op=$3 dir t0 t1
  dir=$(remote_dir "$server")
  t0=$(now_ns)
  if [ "$op" = put ]; then
    lftp_run "$server" "$mode" "put $WORK/payload -o $dir/payload"
  else
    lftp_run "$server" "$mode" "get $dir/payload -o $WORK/download"
  fi
  t1=$(now_ns)
  if [ "$op" = get ]; then
    cmp -s "$WORK/payload" "$WORK/download" || { echo "$server $mode download corrupted" >&2; exit 1; }
    rm -f "$WORK/download"
  fi
  R[$server-$mode-$op]+="$(mbps "$BYTES" "$((t1 - t0))") "
}

# small_files SERVER ROUND: SMALL uploads, then a LIST of them
small_files() {
  local server=$1 dir t0 t1 n
  dir=$(remote_dir "$server")/small-$2
  t0=$(now_ns)
  lftp_run "$server" ftp "mirror -R --no-perms $WORK/small $dir"
  t1=$(now_ns)
  R[$server-small-put]+="$(rate "$SMALL" "$((t1 - t0))") "
  t0=$(now_ns)
  lftp_run "$server" ftp "cls -1 $dir/"
  t1=$(now_ns)
  n=$(wc -l <"$WORK/lftp.out")
  [ "$n" -eq "$SMALL" ] || { echo "$server: listed $n of $SMALL files" >&2; exit 1; }
  R[$server-small-list]+="$(rate "$SMALL" "$((t1 - t0))") "
}

for round in $(seq 1 "$ROUNDS"); do
  order=$(rotation "$round" vsftpd)
  for mode in ftp ftps; do
    for op in put get; do
      for server in $order; do transfer "$server" "$mode" "$op"; done
    done
  done
done
if [ "$SMALL" -gt 0 ]; then
  for round in $(seq 1 "$SMALL_ROUNDS"); do
    order=$(rotation "$round" vsftpd)
    for server in $order; do small_files "$server" "$round"; done
  done
fi

header3 "FTP / FTPS (${SIZE_MB} MiB file, lftp $(lftp --version | head -1 | awk '{print $4}'), ${ROUNDS} rounds; ${SMALL} x 4 KiB, ${SMALL_ROUNDS} rounds)" vsftpd
for mode in ftp ftps; do
  for op in put get; do
    label="$([ "$mode" = ftp ] && echo FTP || echo "FTPS (explicit TLS)") $([ "$op" = put ] && echo upload || echo download), MB/s"
    row3 "$label" "${R[ours-$mode-$op]}" "${R[sftpgo-$mode-$op]:-}" "${R[vsftpd-$mode-$op]}"
  done
done
if [ "$SMALL" -gt 0 ]; then
  row3 "FTP ${SMALL} x 4 KiB upload (mirror -R), files/s" "${R[ours-small-put]}" "${R[sftpgo-small-put]:-}" "${R[vsftpd-small-put]}"
  row3 "FTP listing of ${SMALL} entries (lftp cls), entries/s" "${R[ours-small-list]}" "${R[sftpgo-small-list]:-}" "${R[vsftpd-small-list]}"
fi
