#!/usr/bin/env bash
# Scale rows: login latency, many concurrent SFTP sessions, one very large
# SFTP upload with the server's memory sampled along the way, and the
# encrypted local backend (cryptfs) against plain local storage. Ours, the
# SFTPGo peer (PEER_SFTPGO_BIN, else "not measured") and OpenSSH sshd
# (internal-sftp) where it can take part, rounds rotating which server goes
# first. The client is bench/sftpload (pkg/sftp over x/crypto/ssh) except
# for the cryptfs rows (OpenSSH sftp).
#
# Rows and their knobs (environment):
#   login      LOGINS (200) sequential SFTP logins (password, then public
#              key) and REST token requests (GET /api/v2/token as the
#              admin, GET /api/v2/user/token as the user), each a new TCP
#              connection, with data_provider.password_caching on and off;
#              SCALE_ROUNDS (3) rounds. sshd takes part in the public-key
#              row only (password logins to sshd need a system account).
#   sessions   CONC_SESSIONS (1000) sessions logged in at once, then each
#              uploads CONC_MIB (1) MiB at the same moment: aggregate MB/s,
#              p99 of the per-session transfer time, peak server memory.
#   big        one SFTP upload of BIG_MB (10240) MiB streamed by the client
#              into BIG_DIR (/var/tmp: disk, not tmpfs, so 10 GiB fits);
#              server RSS (PSS for sshd's processes) sampled every 5% of
#              the upload: peak and growth from the 5% point to the end.
#   crypt      CRYPT_MB (256) MiB uploaded and downloaded with OpenSSH sftp
#              by a user on cryptfs (provider 4) and one on plain local
#              storage, SCALE_ROUNDS rounds: ratio crypt / plain.
# SCALE_ONLY: a subset of "login sessions big crypt".
#
# usage: bench/scale.sh
source "$(dirname "$0")/lib.sh"

LOGINS=${LOGINS:-200}
ROUNDS=${SCALE_ROUNDS:-3}
CONC_SESSIONS=${CONC_SESSIONS:-1000}
CONC_MIB=${CONC_MIB:-1}
BIG_MB=${BIG_MB:-10240}
BIG_DIR=${BIG_DIR:-/var/tmp}
CRYPT_MB=${CRYPT_MB:-256}
ONLY=${SCALE_ONLY:-"login sessions big crypt"}
CIPHER=${CIPHER:-aes128-gcm@openssh.com}
wants() { [[ " $ONLY " == *" $1 "* ]]; }

ensure_pkgs sftp:openssh-client sshd:openssh-server curl:curl python3:python3 openssl:openssl
ensure_binary

WORK=$(mktemp -d "$BENCH_TMP/sftpgo-bench-scale.XXXXXX")
BIGWORK=$(mktemp -d "$BIG_DIR/sftpgo-bench-big.XXXXXX")
SG_PID="" SP_PID="" SSHD_PID="" SG_OFF_PID="" SP_OFF_PID=""
cleanup() {
  kill_wait "$SG_PID" "$SP_PID" "$SSHD_PID" "$SG_OFF_PID" "$SP_OFF_PID"
  rm -rf "$WORK" "$BIGWORK"
}
trap cleanup EXIT

(cd "$BENCH_ROOT" && go build -o "$WORK/sftpload" ./bench/sftpload)
ssh-keygen -q -t ed25519 -N '' -f "$WORK/client_key"
ME=$(id -un)
PASS=bench-Pa55
CRYPT_FS='{"provider":4,"cryptconfig":{"passphrase":{"status":"Plain","payload":"bench-crypt-secret"}}}'

# servers: ours and SFTPGo with the password cache on (defaults) and off,
# sshd for the rows it can take part in. Users: bench (plain local, home
# in tmpfs), big (home on BIG_DIR), crypt (cryptfs).
setup_product() { # PREFIX-STARTER ADDER NAME [ENV...]
  local start=$1 add=$2 name=$3
  shift 3
  mkdir -p "$WORK/home-$name" "$WORK/crypt-$name" "$BIGWORK/home-$name"
  "$start" "$WORK/cfg-$name" "$@"
  "$add" bench "$PASS" "$WORK/home-$name" "$WORK/client_key.pub"
  "$add" big "$PASS" "$BIGWORK/home-$name" "$WORK/client_key.pub"
  "$add" crypt "$PASS" "$WORK/crypt-$name" "$WORK/client_key.pub" "$CRYPT_FS"
}
setup_product start_sftpgo sftpgo_add_user ours
if wants login; then
  saved=("$SG_PID" "$SG_HTTP" "$SG_SFTP")
  setup_product start_sftpgo sftpgo_add_user ours-off SFTPGO_DATA_PROVIDER__PASSWORD_CACHING=false
  SG_OFF_PID=$SG_PID SG_OFF_HTTP=$SG_HTTP SG_OFF_SFTP=$SG_SFTP
  SG_PID=${saved[0]} SG_HTTP=${saved[1]} SG_SFTP=${saved[2]}
fi
if has_sftpgo_peer; then
  setup_product start_sftpgo_peer sftpgo_peer_add_user sftpgo
  if wants login; then
    saved=("$SP_PID" "$SP_HTTP" "$SP_SFTP")
    setup_product start_sftpgo_peer sftpgo_peer_add_user sftpgo-off SFTPGO_DATA_PROVIDER__PASSWORD_CACHING=false
    SP_OFF_PID=$SP_PID SP_OFF_HTTP=$SP_HTTP SP_OFF_SFTP=$SP_SFTP
    SP_PID=${saved[0]} SP_HTTP=${saved[1]} SP_SFTP=${saved[2]}
  fi
fi
mkdir -p "$WORK/home-openssh" "$BIGWORK/home-openssh"
start_sshd "$WORK/sshd" "$WORK/client_key.pub"

# sftp_port SERVER [off]; server_pids SERVER: the server's processes
sftp_port() {
  case "$1${2:+-$2}" in
    ours) echo "$SG_SFTP" ;; ours-off) echo "$SG_OFF_SFTP" ;;
    sftpgo) echo "$SP_SFTP" ;; sftpgo-off) echo "$SP_OFF_SFTP" ;;
    openssh) echo "$SSHD_PORT" ;;
  esac
}
http_port() {
  case "$1${2:+-$2}" in
    ours) echo "$SG_HTTP" ;; ours-off) echo "$SG_OFF_HTTP" ;;
    sftpgo) echo "$SP_HTTP" ;; sftpgo-off) echo "$SP_OFF_HTTP" ;;
  esac
}
server_pids() {
  case "$1" in
    ours) echo "$SG_PID" ;;
    sftpgo) echo "$SP_PID" ;;
    openssh) tree_pids "$SSHD_PID" ;;
  esac
}
# server_mem_kib SERVER: PSS of the server's processes (RSS-like for one
# process, fair for sshd's process per session)
server_mem_kib() { pss_kib $(server_pids "$1"); }
ssh_user() { if [ "$1" = openssh ]; then echo "$ME"; else echo "$2"; fi; }

declare -A R
LOAD=(-key "$WORK/client_key")

if wants login; then
  for round in $(seq 1 "$ROUNDS"); do
    for server in $(rotation "$round" openssh); do
      if [ "$server" != openssh ]; then
        for cache in on off; do
          off=$([ "$cache" = off ] && echo off || true)
          read -r p50 p99 _ <<<"$("$WORK/sftpload" -mode login -n "$LOGINS" -addr "127.0.0.1:$(sftp_port "$server" $off)" \
            -user bench -password "$PASS")"
          R[$server-pw-$cache-p50]+="$p50 " R[$server-pw-$cache-p99]+="$p99 "
          read -r p50 p99 _ <<<"$("$WORK/sftpload" -mode token -n "$LOGINS" -user admin -password bench-admin \
            -url "http://127.0.0.1:$(http_port "$server" $off)/api/v2/token")"
          R[$server-tok-$cache-p50]+="$p50 " R[$server-tok-$cache-p99]+="$p99 "
          read -r p50 p99 _ <<<"$("$WORK/sftpload" -mode token -n "$LOGINS" -user bench -password "$PASS" \
            -url "http://127.0.0.1:$(http_port "$server" $off)/api/v2/user/token")"
          R[$server-utok-$cache-p50]+="$p50 " R[$server-utok-$cache-p99]+="$p99 "
        done
      fi
      read -r p50 p99 _ <<<"$("$WORK/sftpload" -mode login -n "$LOGINS" -addr "127.0.0.1:$(sftp_port "$server")" \
        -user "$(ssh_user "$server" bench)" "${LOAD[@]}")"
      R[$server-key-p50]+="$p50 " R[$server-key-p99]+="$p99 "
    done
  done
fi

# concurrent SERVER: one run of CONC_SESSIONS sessions
concurrent() {
  local server=$1 dir before peak=0 m out line
  if [ "$server" = openssh ]; then dir=$WORK/home-openssh/conc; else dir=/conc; fi
  rm -rf "$WORK/home-$server/conc"
  mkdir -p "$WORK/home-$server/conc"
  before=$(server_mem_kib "$server")
  "$WORK/sftpload" -mode concurrent -n "$CONC_SESSIONS" -size $((CONC_MIB * 1048576)) \
    -addr "127.0.0.1:$(sftp_port "$server")" -user "$(ssh_user "$server" bench)" "${LOAD[@]}" -path "$dir" \
    >"$WORK/conc.out" 2>"$WORK/conc.err" &
  local pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    m=$(server_mem_kib "$server")
    [ "$m" -gt "$peak" ] && peak=$m
    sleep 0.2
  done
  wait "$pid" || { echo "$server: concurrent sessions failed: $(cat "$WORK/conc.err")" >&2; exit 1; }
  read -r mbs p50 p99 <"$WORK/conc.out"
  R[$server-conc-mbs]+="$mbs " R[$server-conc-p99]+="$p99 "
  R[$server-conc-peak]+="$(awk -v p="$peak" 'BEGIN { printf "%.1f", p / 1024 }') "
  R[$server-conc-grow]+="$(awk -v p="$peak" -v b="$before" 'BEGIN { printf "%.1f", (p - b) / 1024 }') "
  rm -rf "$WORK/home-$server/conc"
}

if wants sessions; then
  for round in $(seq 1 "$ROUNDS"); do
    for server in $(rotation "$round" openssh); do concurrent "$server"; done
  done
fi

# big SERVER: one upload of BIG_MB MiB, memory sampled at every 5%
big() {
  local server=$1 dest first="" peak=0 m line
  if [ "$server" = openssh ]; then dest=$BIGWORK/home-openssh/big; else dest=/big; fi
  local user
  user=$(ssh_user "$server" big)
  "$WORK/sftpload" -mode upload -size $((BIG_MB * 1048576)) -addr "127.0.0.1:$(sftp_port "$server")" \
    -user "$user" "${LOAD[@]}" -path "$dest" >"$WORK/big.out" 2> >(while read -r line; do
      case "$line" in
        progress*) echo "$(server_mem_kib "$server")" >>"$WORK/big-mem-$server" ;;
        *) echo "$line" >&2 ;;
      esac
    done)
  sleep 0.5
  read -r R[$server-big-mbs] <"$WORK/big.out"
  first=$(head -1 "$WORK/big-mem-$server")
  peak=$(sort -n "$WORK/big-mem-$server" | tail -1)
  R[$server-big-peak]=$(awk -v p="$peak" 'BEGIN { printf "%.1f", p / 1024 }')
  R[$server-big-grow]=$(awk -v p="$peak" -v b="$first" 'BEGIN { printf "%.1f", (p - b) / 1024 }')
  rm -f "$WORK/big-mem-$server" "$BIGWORK/home-$server/big"
}

if wants big; then
  for server in $(rotation 1 openssh); do big "$server"; done
fi

# crypt SERVER USER OP ROUND: CRYPT_MB MiB with OpenSSH sftp
SSH_OPTS=(-q -i "$WORK/client_key" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
  -o BatchMode=yes -c "$CIPHER")
crypt_xfer() {
  local server=$1 user=$2 op=$3 t0 t1
  t0=$(now_ns)
  if [ "$op" = put ]; then
    echo "put $WORK/payload /payload" | sftp "${SSH_OPTS[@]}" -P "$(sftp_port "$server")" -b - "$user@127.0.0.1" >/dev/null
  else
    echo "get /payload $WORK/download" | sftp "${SSH_OPTS[@]}" -P "$(sftp_port "$server")" -b - "$user@127.0.0.1" >/dev/null
  fi
  t1=$(now_ns)
  if [ "$op" = get ]; then
    cmp -s "$WORK/payload" "$WORK/download" || { echo "$server $user download corrupted" >&2; exit 1; }
    rm -f "$WORK/download"
  fi
  R[$server-$user-$op]+="$(mbps $((CRYPT_MB * 1048576)) "$((t1 - t0))") "
}

if wants crypt; then
  make_payload "$WORK/payload" "$CRYPT_MB"
  for round in $(seq 1 "$ROUNDS"); do
    for server in $(rotation "$round" openssh); do
      [ "$server" = openssh ] && continue
      for op in put get; do
        if [ $((round % 2)) -eq 1 ]; then users="crypt bench"; else users="bench crypt"; fi
        for u in $users; do crypt_xfer "$server" "$u" "$op"; done
      done
    done
  done
  if [ -f "$WORK/crypt-ours/payload" ] && cmp -s "$WORK/payload" "$WORK/crypt-ours/payload"; then
    echo "cryptfs stored the plaintext" >&2
    exit 1
  fi
fi

ms="lower is better"
if wants login; then
  header3 "Login latency (${LOGINS} sequential logins, each a new TCP connection, ${ROUNDS} rounds; ms, ${ms})" "OpenSSH"
  export LOWER_IS_BETTER=1
  for cache in on off; do
    for q in p50 p99; do
      row3 "SFTP password login, password cache ${cache}, ${q} ms" "${R[ours-pw-$cache-$q]}" "${R[sftpgo-pw-$cache-$q]:-}" ""
    done
  done
  for q in p50 p99; do
    row3 "SFTP public-key login, ${q} ms" "${R[ours-key-$q]}" "${R[sftpgo-key-$q]:-}" "${R[openssh-key-$q]}"
  done
  for cache in on off; do
    for q in p50 p99; do
      row3 "REST admin token (GET /api/v2/token), password cache ${cache}, ${q} ms" "${R[ours-tok-$cache-$q]}" "${R[sftpgo-tok-$cache-$q]:-}" ""
      row3 "REST user token (GET /api/v2/user/token), password cache ${cache}, ${q} ms" "${R[ours-utok-$cache-$q]}" "${R[sftpgo-utok-$cache-$q]:-}" ""
    done
  done
  unset LOWER_IS_BETTER
  echo
  echo "OpenSSH takes part in the public-key row only: password logins to sshd need a system account with a password."
  echo
fi
if wants sessions; then
  header3 "${CONC_SESSIONS} concurrent SFTP sessions, each uploading ${CONC_MIB} MiB at once (${ROUNDS} rounds)" "OpenSSH"
  row3 "aggregate throughput, MB/s" "${R[ours-conc-mbs]}" "${R[sftpgo-conc-mbs]:-}" "${R[openssh-conc-mbs]}"
  export LOWER_IS_BETTER=1
  row3 "p99 of the per-session upload time, ms (lower is better)" "${R[ours-conc-p99]}" "${R[sftpgo-conc-p99]:-}" "${R[openssh-conc-p99]}"
  row3 "peak server memory (PSS), MiB (lower is better)" "${R[ours-conc-peak]}" "${R[sftpgo-conc-peak]:-}" "${R[openssh-conc-peak]}"
  row3 "peak memory growth over the idle server, MiB (lower is better)" "${R[ours-conc-grow]}" "${R[sftpgo-conc-grow]:-}" "${R[openssh-conc-grow]}"
  unset LOWER_IS_BETTER
  echo
fi
if wants big; then
  header3 "One SFTP upload of ${BIG_MB} MiB (streamed by the client, written to ${BIG_DIR}, one run)" "OpenSSH"
  row3 "upload, MB/s" "${R[ours-big-mbs]}" "${R[sftpgo-big-mbs]:-}" "${R[openssh-big-mbs]}"
  export LOWER_IS_BETTER=1
  row3 "peak server memory (PSS), MiB (lower is better)" "${R[ours-big-peak]}" "${R[sftpgo-big-peak]:-}" "${R[openssh-big-peak]}"
  row3 "memory growth from 5% of the upload to the end, MiB (flat: ~0)" "${R[ours-big-grow]}" "${R[sftpgo-big-grow]:-}" "${R[openssh-big-grow]}"
  unset LOWER_IS_BETTER
  echo
fi
if wants crypt; then
  echo "| cryptfs (provider 4) against plain local storage (${CRYPT_MB} MiB, OpenSSH sftp, ${CIPHER}, ${ROUNDS} rounds), MB/s best / median | ours plain | ours cryptfs | ours crypt / plain | SFTPGo plain | SFTPGo cryptfs | SFTPGo crypt / plain | ours / SFTPGo cryptfs |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
  for op in put get; do
    label=$([ "$op" = put ] && echo "SFTP upload" || echo "SFTP download")
    read -r ob om <<<"$(stats ${R[ours-bench-$op]})"
    read -r cb cm <<<"$(stats ${R[ours-crypt-$op]})"
    if has_sftpgo_peer; then
      read -r sb sm <<<"$(stats ${R[sftpgo-bench-$op]})"
      read -r scb scm <<<"$(stats ${R[sftpgo-crypt-$op]})"
      echo "| $label | $ob / $om | $cb / $cm | $(ratio "$cm" "$om") | $sb / $sm | $scb / $scm | $(ratio "$scm" "$sm") | $(ratio "$cm" "$scm") |"
    else
      echo "| $label | $ob / $om | $cb / $cm | $(ratio "$cm" "$om") | not measured | not measured | not measured | not measured |"
    fi
  done
  echo
fi
