#!/usr/bin/env bash
# FTP and FTPS (explicit, AUTH TLS with protected data) throughput: our
# FTP server against vsftpd, both on loopback, same client (lftp), files
# on tmpfs, rounds alternating between the two servers. Prints a Markdown
# table with the best and median MB/s of each and their ratio.
#
# Our server runs from the ftpd test binary (TestBenchServer), so the
# script needs only Go and this tree, not a service build; vsftpd is
# started with its own config (anonymous account writing into pub/).
#
# usage: bench/ftp.sh [SIZE_MB] [ROUNDS]
source "$(dirname "$0")/lib.sh"

SIZE_MB=${1:-256}
ROUNDS=${2:-5}
ROOT=$BENCH_ROOT

ensure_pkgs lftp:lftp vsftpd:vsftpd openssl:openssl python3:python3
command -v go >/dev/null || export PATH=$PATH:/usr/local/go/bin

WORK=$(mktemp -d /dev/shm/ftpd-bench.XXXXXX)
OURS_PID="" VSFTPD_PID=""
cleanup() {
  touch "$WORK/ours/stop" 2>/dev/null || true
  [ -n "$OURS_PID" ] && kill "$OURS_PID" 2>/dev/null || true
  [ -n "$VSFTPD_PID" ] && kill "$VSFTPD_PID" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

BYTES=$((SIZE_MB * 1048576))
head -c "$BYTES" /dev/urandom >"$WORK/payload"

# --- our server ---------------------------------------------------------------
mkdir -p "$WORK/ours"
(cd "$ROOT" && go test -c -o "$WORK/ftpd.test" ./internal/ftpd)
FTPD_BENCH_DIR="$WORK/ours" "$WORK/ftpd.test" -test.run '^TestBenchServer$' -test.timeout 0 >"$WORK/ours.log" 2>&1 &
OURS_PID=$!
for _ in $(seq 1 300); do [ -s "$WORK/ours/addr" ] && break; sleep 0.1; done
OURS_PORT=$(sed 's/.*://' "$WORK/ours/addr")
wait_port 127.0.0.1 "$OURS_PORT"
OURS_USER=bench OURS_PASS='Pa55w0rd!x' OURS_DIR=.

# --- vsftpd -------------------------------------------------------------------
VS_PORT=$(free_port)
mkdir -p "$WORK/vsftpd/root/pub" /var/run/vsftpd/empty
chown ftp "$WORK/vsftpd/root/pub"
chmod 555 "$WORK/vsftpd/root"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=127.0.0.1 \
  -keyout "$WORK/vsftpd/key.pem" -out "$WORK/vsftpd/cert.pem" 2>/dev/null
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
anon_other_write_enable=YES
anon_umask=022
write_enable=YES
local_enable=NO
pasv_enable=YES
pasv_address=127.0.0.1
connect_from_port_20=NO
xferlog_enable=NO
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

# run_lftp SERVER MODE OP -> prints MB/s
run_lftp() {
  local server=$1 mode=$2 op=$3 port user pass dir tls t0 t1
  if [ "$server" = ours ]; then
    port=$OURS_PORT user=$OURS_USER pass=$OURS_PASS dir=$OURS_DIR
  else
    port=$VS_PORT user=anonymous pass=bench@ dir=pub
  fi
  if [ "$mode" = ftps ]; then
    tls="set ftp:ssl-force yes; set ftp:ssl-protect-data yes; set ssl:verify-certificate no"
  else
    tls="set ftp:ssl-allow no"
  fi
  local cmd
  if [ "$op" = put ]; then
    cmd="put $WORK/payload -o $dir/payload"
  else
    cmd="get $dir/payload -o $WORK/download"
  fi
  t0=$(now_ns)
  HOME=$WORK lftp -c "set cmd:fail-exit yes; set net:max-retries 1; $tls; open -u '$user','$pass' ftp://127.0.0.1:$port; $cmd" >/dev/null
  t1=$(now_ns)
  if [ "$op" = get ]; then
    cmp -s "$WORK/payload" "$WORK/download" || { echo "$server $mode download corrupted" >&2; exit 1; }
    rm -f "$WORK/download"
  fi
  mbps "$BYTES" "$((t1 - t0))"
}

declare -A RES
for mode in ftp ftps; do
  for op in put get; do
    for server in ours vsftpd; do RES[$server-$mode-$op]=""; done
  done
done

for round in $(seq 1 "$ROUNDS"); do
  for mode in ftp ftps; do
    for op in put get; do
      # alternate which server goes first
      if [ $((round % 2)) -eq 1 ]; then order="ours vsftpd"; else order="vsftpd ours"; fi
      for server in $order; do
        RES[$server-$mode-$op]+="$(run_lftp "$server" "$mode" "$op") "
      done
    done
  done
done

echo "FTP throughput, ${SIZE_MB} MiB file, lftp $(lftp --version | head -1 | awk '{print $4}'), $ROUNDS rounds, loopback, tmpfs; MB/s (best / median)"
echo
echo "| Mode | Operation | ours best | ours median | vsftpd best | vsftpd median | ratio (median) |"
echo "|---|---|---:|---:|---:|---:|---:|"
for mode in ftp ftps; do
  for op in put get; do
    read -r ob om <<<"$(stats ${RES[ours-$mode-$op]})"
    read -r vb vm <<<"$(stats ${RES[vsftpd-$mode-$op]})"
    label=$([ "$mode" = ftp ] && echo "FTP" || echo "FTPS (explicit)")
    opname=$([ "$op" = put ] && echo "upload" || echo "download")
    echo "| $label | $opname | $ob | $om | $vb | $vm | $(ratio "$om" "$vm") |"
  done
done
