# Shared helpers for the bench/ scripts. Source it; do not run it.
#
# Every script starts the real binary (./sftpgo serve, built by `make
# bench`) and one peer server on loopback, keeps its data on tmpfs, runs
# the same client against both in alternation and prints a Markdown table
# with best and median values and the ratio of the medians.
set -euo pipefail

BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${SFTPGO_BIN:-"${BENCH_ROOT}/sftpgo"}
# PEER_SFTPGO_BIN: an SFTPGo binary to measure in the same run as a second
# peer column (SFTPGo is not in the package registries; point this at a
# binary you built). Unset: the column says "not measured".
PEER_SFTPGO_BIN=${PEER_SFTPGO_BIN:-}
# Work directories live on tmpfs so the disk never bounds a result.
BENCH_TMP=${BENCH_TMP:-/dev/shm}
export PATH="$PATH:/usr/local/go/bin:/usr/sbin"

# ensure_pkgs installs Debian packages for commands that are missing.
# usage: ensure_pkgs cmd:package ...
ensure_pkgs() {
  local missing=()
  for pair in "$@"; do
    local cmd=${pair%%:*} pkg=${pair#*:}
    if ! command -v "$cmd" >/dev/null 2>&1 && ! [ -x "/usr/sbin/$cmd" ]; then
      missing+=("$pkg")
    fi
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "installing ${missing[*]}" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  fi
}

ensure_binary() {
  if [ ! -x "$BIN" ]; then
    (cd "$BENCH_ROOT" && make build >&2)
  fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wait_port HOST PORT: wait up to 30 s for a TCP listener.
wait_port() {
  for _ in $(seq 1 300); do
    if (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "nothing listens on $1:$2" >&2
  return 1
}

# now_ns prints a timestamp in nanoseconds.
now_ns() { date +%s%N; }

# mbps BYTES NANOSECONDS
mbps() { awk -v b="$1" -v ns="$2" 'BEGIN { printf "%.1f", (b / 1048576) / (ns / 1e9) }'; }

# rate COUNT NANOSECONDS: operations per second.
rate() { awk -v n="$1" -v ns="$2" 'BEGIN { printf "%.1f", n / (ns / 1e9) }'; }

# stats prints "best median" of the numbers given (higher is better;
# LOWER_IS_BETTER=1 makes the smallest the best).
stats() {
  printf '%s\n' "$@" | sort -g | awk -v low="${LOWER_IS_BETTER:-}" '{ v[NR] = $1 } END {
    if (NR == 0) { print "- -"; exit }
    best = low ? v[1] : v[NR]; if (NR % 2) med = v[(NR + 1) / 2]; else med = (v[NR / 2] + v[NR / 2 + 1]) / 2;
    printf "%.1f %.1f", best, med }'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0 && a != "-") printf "%.2fx", a / b; else print "n/a" }'; }

# row LABEL "OURS_VALUES" "PEER_VALUES": one table row, ratio of medians.
row() {
  local ob om pb pm
  read -r ob om <<<"$(stats $2)"
  read -r pb pm <<<"$(stats $3)"
  echo "| $1 | $ob / $om | $pb / $pm | $(ratio "$om" "$pm") |"
}

# row3 LABEL "OURS" "SFTPGO" "PEER": a row with the SFTPGo column,
# "| label | ours | SFTPGo | peer | ours/SFTPGo | ours/peer |" (best /
# median each, ratios of the medians). An empty peer list prints
# "not measured".
row3() {
  local ob om sb sm pb pm s r1 p r2
  read -r ob om <<<"$(stats $2)"
  if [ -n "${3// /}" ]; then
    read -r sb sm <<<"$(stats $3)"
    s="$sb / $sm" r1=$(ratio "$om" "$sm")
  else
    s="not measured" r1="not measured"
  fi
  if [ -n "${4// /}" ]; then
    read -r pb pm <<<"$(stats $4)"
    p="$pb / $pm" r2=$(ratio "$om" "$pm")
  else
    p="not measured" r2="not measured"
  fi
  echo "| $1 | $ob / $om | $s | $p | $r1 | $r2 |"
}

# header3 TITLE PEER_NAME: the header of a row3 table.
header3() {
  echo "| $1 | ours best / median | SFTPGo best / median | $2 best / median | ours / SFTPGo (median) | ours / $2 (median) |"
  echo "| --- | --- | --- | --- | --- | --- |"
}

# cpu_ticks PID...: user+system clock ticks of the processes and their
# waited-for children (sshd forks one process per session).
cpu_ticks() {
  local total=0 p f
  for p in "$@"; do
    f=$(cat "/proc/$p/stat" 2>/dev/null) || continue
    f=${f##*) }
    # fields after the command: 12 utime, 13 stime, 14 cutime, 15 cstime
    total=$((total + $(awk '{ print $12 + $13 + $14 + $15 }' <<<"$f")))
  done
  echo "$total"
}

# make_payload FILE MIB: random data (incompressible).
make_payload() { head -c "$(($2 * 1048576))" /dev/urandom >"$1"; }

# make_small_files DIR COUNT: COUNT files of 4 KiB.
make_small_files() {
  mkdir -p "$1"
  head -c "$(($2 * 4096))" /dev/urandom | (cd "$1" && split -b 4096 -a 5 -d - f)
}

# self_signed_cert DIR: DIR/cert.pem and DIR/key.pem for 127.0.0.1.
self_signed_cert() {
  mkdir -p "$1"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=127.0.0.1 \
    -addext "subjectAltName=IP:127.0.0.1" -keyout "$1/key.pem" -out "$1/cert.pem" 2>/dev/null
}

# start_sftpgo DIR [VAR=VALUE ...]: `sftpgo serve` from config dir DIR with
# SFTP, FTP (explicit TLS allowed), WebDAV and the REST API on free
# loopback ports and a first admin. Sets SG_PID, SG_HTTP, SG_SFTP, SG_FTP,
# SG_DAV. Extra arguments are added to the environment (SFTPGO_... keys).
start_sftpgo() { start_server_as SG "$BIN" "$@"; }

# start_sftpgo_peer DIR [VAR=VALUE ...]: the same for $PEER_SFTPGO_BIN
# (the SFTPGo column); sets SP_PID, SP_HTTP, SP_SFTP, SP_FTP, SP_DAV. Both
# products read the same SFTPGO_ keys, so one configuration serves both.
start_sftpgo_peer() { start_server_as SP "$PEER_SFTPGO_BIN" "$@"; }

# start_server_as PREFIX BINARY DIR [VAR=VALUE ...]
start_server_as() {
  local prefix=$1 bin=$2 dir=$3 http sftp ftp dav pid
  shift 3
  mkdir -p "$dir"
  [ -f "$dir/cert.pem" ] || self_signed_cert "$dir"
  http=$(free_port) sftp=$(free_port) ftp=$(free_port) dav=$(free_port)
  local pasv=$((40000 + RANDOM % 20000))
  env SFTPGO_DATA_PROVIDER__CREATE_DEFAULT_ADMIN=true \
    SFTPGO_DEFAULT_ADMIN_USERNAME=admin SFTPGO_DEFAULT_ADMIN_PASSWORD=bench-admin \
    SFTPGO_HTTPD__BINDINGS__0__ADDRESS=127.0.0.1 SFTPGO_HTTPD__BINDINGS__0__PORT="$http" \
    SFTPGO_SFTPD__BINDINGS__0__ADDRESS=127.0.0.1 SFTPGO_SFTPD__BINDINGS__0__PORT="$sftp" \
    SFTPGO_FTPD__BINDINGS__0__ADDRESS=127.0.0.1 SFTPGO_FTPD__BINDINGS__0__PORT="$ftp" \
    SFTPGO_FTPD__PASSIVE_PORT_RANGE__START="$pasv" SFTPGO_FTPD__PASSIVE_PORT_RANGE__END="$((pasv + 200))" \
    SFTPGO_FTPD__CERTIFICATE_FILE="$dir/cert.pem" SFTPGO_FTPD__CERTIFICATE_KEY_FILE="$dir/key.pem" \
    SFTPGO_WEBDAVD__BINDINGS__0__ADDRESS=127.0.0.1 SFTPGO_WEBDAVD__BINDINGS__0__PORT="$dav" \
    SFTPGO_COMMON__IDLE_TIMEOUT=0 \
    SFTPGO_COMMON__MAX_TOTAL_CONNECTIONS=0 SFTPGO_COMMON__MAX_PER_HOST_CONNECTIONS=0 \
    "$@" \
    "$bin" serve --config-dir "$dir" --log-file-path "$dir/sftpgo.log" --log-level warn &
  pid=$!
  printf -v "${prefix}_PID" %s "$pid"
  printf -v "${prefix}_HTTP" %s "$http"
  printf -v "${prefix}_SFTP" %s "$sftp"
  printf -v "${prefix}_FTP" %s "$ftp"
  printf -v "${prefix}_DAV" %s "$dav"
  wait_port 127.0.0.1 "$http"
  wait_port 127.0.0.1 "$sftp"
  wait_port 127.0.0.1 "$ftp"
  wait_port 127.0.0.1 "$dav"
}

# sftpgo_add_user NAME PASSWORD HOME PUBKEY_FILE [FILESYSTEM_JSON]: a user
# with every permission, a password and a public key, through the REST API
# of our server ($SG_HTTP, or the port in ADD_USER_PORT).
sftpgo_add_user() {
  local port=${ADD_USER_PORT:-$SG_HTTP} token key fs=""
  token=$(curl -sf -u admin:bench-admin "http://127.0.0.1:${port}/api/v2/token" |
    sed 's/.*"access_token":"\([^"]*\)".*/\1/')
  key=$(cat "$4")
  [ -n "${5:-}" ] && fs=",\"filesystem\":$5"
  curl -sf -o /dev/null -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d "{\"username\":\"$1\",\"password\":\"$2\",\"status\":1,\"home_dir\":\"$3\",\"public_keys\":[\"$key\"],\"permissions\":{\"/\":[\"*\"]}$fs}" \
    "http://127.0.0.1:${port}/api/v2/users"
}

# sftpgo_peer_add_user: sftpgo_add_user against the SFTPGo peer.
sftpgo_peer_add_user() { ADD_USER_PORT=$SP_HTTP sftpgo_add_user "$@"; }

# has_sftpgo_peer: true when the SFTPGo column is measured.
has_sftpgo_peer() { [ -n "$PEER_SFTPGO_BIN" ]; }

# rotation ROUND PEER: the servers of one round, first server rotating
# round by round: ours, sftpgo (when measured) and PEER.
rotation() {
  local list=(ours) n i out=()
  has_sftpgo_peer && list+=(sftpgo)
  list+=("$2")
  n=${#list[@]}
  for i in $(seq 0 $((n - 1))); do out+=("${list[$(((i + $1 - 1) % n))]}"); done
  echo "${out[*]}"
}

# start_sshd DIR PUBKEY_FILE: OpenSSH sshd with internal-sftp on loopback,
# logging in as the current user with the given key. Sets SSHD_PORT,
# SSHD_PID.
start_sshd() {
  local dir=$1
  mkdir -p /run/sshd "$dir"
  SSHD_PORT=$(free_port)
  ssh-keygen -q -t ed25519 -N '' -f "$dir/host_key" <<<y >/dev/null 2>&1 || true
  cp "$2" "$dir/authorized_keys"
  chmod 600 "$dir/authorized_keys"
  cat >"$dir/sshd_config" <<CFG
Port $SSHD_PORT
ListenAddress 127.0.0.1
HostKey $dir/host_key
AuthorizedKeysFile $dir/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
MaxStartups 1000
MaxSessions 1000
PidFile $dir/sshd.pid
Subsystem sftp internal-sftp
CFG
  /usr/sbin/sshd -f "$dir/sshd_config" -D -e 2>"$dir/sshd.log" &
  SSHD_PID=$!
  wait_port 127.0.0.1 "$SSHD_PORT"
}

# tree_pids PID: PID and all its descendants. From one ps snapshot: the
# kernel's /proc/PID/task/*/children lists are not reliable while children
# come and go, and missed most of sshd's sessions under load.
tree_pids() {
  ps -e -o pid= -o ppid= | awk -v root="$1" '
    { kids[$2] = kids[$2] " " $1 }
    END {
      n = 1; q[1] = root
      for (i = 1; i <= n; i++) {
        print q[i]
        m = split(kids[q[i]], c, " ")
        for (j = 1; j <= m; j++) q[++n] = c[j]
      }
    }'
}

# pss_kib PID...: summed proportional set size (shared pages split between
# the processes that map them), the fair measure for forking servers.
pss_kib() {
  local total=0 p v
  for p in "$@"; do
    v=$(awk '/^Pss:/ { print $2 }' "/proc/$p/smaps_rollup" 2>/dev/null) || continue
    total=$((total + ${v:-0}))
  done
  echo "$total"
}

# kill_wait PID...: stop processes this script started.
kill_wait() {
  local p
  for p in "$@"; do
    [ -n "$p" ] || continue
    kill "$p" 2>/dev/null || true
  done
  for p in "$@"; do
    [ -n "$p" ] || continue
    wait "$p" 2>/dev/null || true
  done
}

# bench_header TITLE: the line every table starts with (load before it).
load_avg() { cut -d' ' -f1-3 /proc/loadavg; }
