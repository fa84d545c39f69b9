# Shared helpers for the bench/ scripts. Source it; do not run it.
set -euo pipefail

BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN="${BENCH_ROOT}/sftpgo"

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
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wait_port HOST PORT: wait up to 20 s for a TCP listener.
wait_port() {
  for _ in $(seq 1 200); do
    if (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "nothing listens on $1:$2" >&2
  return 1
}

# now_ns prints a monotonic-enough timestamp in nanoseconds.
now_ns() { date +%s%N; }

# mbps BYTES NANOSECONDS
mbps() { awk -v b="$1" -v ns="$2" 'BEGIN { printf "%.1f", (b / 1048576) / (ns / 1e9) }'; }

# stats prints "best median" of the numbers given (higher is better).
stats() {
  printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
    best = v[NR]; if (NR % 2) med = v[(NR + 1) / 2]; else med = (v[NR / 2] + v[NR / 2 + 1]) / 2;
    printf "%.1f %.1f", best, med }'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "n/a" }'; }

# start_sftpgo DIR: serve from DIR with an admin, SFTP on $SFTPGO_SFTP_PORT,
# HTTP on $SFTPGO_HTTP_PORT. Sets SFTPGO_PID.
start_sftpgo() {
  local dir=$1
  SFTPGO_HTTP_PORT=$(free_port)
  SFTPGO_SFTP_PORT=$(free_port)
  SFTPGO_DATA_PROVIDER__CREATE_DEFAULT_ADMIN=true \
  SFTPGO_DEFAULT_ADMIN_USERNAME=admin SFTPGO_DEFAULT_ADMIN_PASSWORD=bench-admin \
  SFTPGO_HTTPD__BINDINGS__0__ADDRESS=127.0.0.1 SFTPGO_HTTPD__BINDINGS__0__PORT="$SFTPGO_HTTP_PORT" \
  SFTPGO_SFTPD__BINDINGS__0__ADDRESS=127.0.0.1 SFTPGO_SFTPD__BINDINGS__0__PORT="$SFTPGO_SFTP_PORT" \
  SFTPGO_COMMON__IDLE_TIMEOUT=0 \
    "$BIN" serve --config-dir "$dir" --log-file-path "$dir/sftpgo.log" --log-level warn &
  SFTPGO_PID=$!
  wait_port 127.0.0.1 "$SFTPGO_HTTP_PORT"
  wait_port 127.0.0.1 "$SFTPGO_SFTP_PORT"
}

# sftpgo_add_user NAME HOME PUBKEY_FILE [extra JSON fields]
sftpgo_add_user() {
  local token
  token=$(curl -sf -u admin:bench-admin "http://127.0.0.1:${SFTPGO_HTTP_PORT}/api/v2/token" |
    sed 's/.*"access_token":"\([^"]*\)".*/\1/')
  local key
  key=$(cat "$3")
  curl -sf -o /dev/null -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d "{\"username\":\"$1\",\"status\":1,\"home_dir\":\"$2\",\"public_keys\":[\"$key\"],\"permissions\":{\"/\":[\"*\"]}${4:+,$4}}" \
    "http://127.0.0.1:${SFTPGO_HTTP_PORT}/api/v2/users"
}

# start_sshd DIR PUBKEY_FILE: OpenSSH sshd with internal-sftp on loopback,
# logging in as the current user with the given key. Sets SSHD_PORT, SSHD_PID.
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
UsePAM no
StrictModes no
PidFile $dir/sshd.pid
Subsystem sftp internal-sftp
CFG
  /usr/sbin/sshd -f "$dir/sshd_config" -D -e 2>"$dir/sshd.log" &
  SSHD_PID=$!
  wait_port 127.0.0.1 "$SSHD_PORT"
}
