#!/usr/bin/env bash
# WebDAV throughput: our server against Apache httpd with mod_dav
# (Debian apache2) on loopback. Same client (curl), same user and Basic
# auth, files on tmpfs, rounds alternating between the two servers.
# Prints a Markdown table with best and median values and their ratio.
#
# usage: bench/webdav.sh [SIZE_MB] [ROUNDS] [SMALL_FILES]
#        UPLOAD_MODE=1 bench/webdav.sh ...   (our common.upload_mode; Apache
#        always writes a temporary file and renames it, like mode 1)
#
# Our side is bench/davserver: internal/webdavd over internal/common with
# local storage, the code path `sftpgo serve` runs for WebDAV. Apache is
# started by hand with its own configuration on a free loopback port (no
# systemd), mpm_event, mod_dav_fs, mod_auth_basic with an htpasswd file.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ -f "$HERE/lib.sh" ]; then
  # shellcheck source=/dev/null
  source "$HERE/lib.sh"
fi
BENCH_ROOT=${BENCH_ROOT:-$(cd "$HERE/.." && pwd)}

# Fallbacks when bench/lib.sh is not there.
declare -F ensure_pkgs >/dev/null || ensure_pkgs() {
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
declare -F free_port >/dev/null || free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
declare -F wait_port >/dev/null || wait_port() {
  for _ in $(seq 1 200); do
    if (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "nothing listens on $1:$2" >&2
  return 1
}
declare -F now_ns >/dev/null || now_ns() { date +%s%N; }
declare -F mbps >/dev/null || mbps() { awk -v b="$1" -v ns="$2" 'BEGIN { printf "%.1f", (b / 1048576) / (ns / 1e9) }'; }
declare -F stats >/dev/null || stats() {
  printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
    best = v[NR]; if (NR % 2) med = v[(NR + 1) / 2]; else med = (v[NR / 2] + v[NR / 2 + 1]) / 2;
    printf "%.1f %.1f", best, med }'
}
declare -F ratio >/dev/null || ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "n/a" }'; }
rate() { awk -v n="$1" -v ns="$2" 'BEGIN { printf "%.1f", n / (ns / 1e9) }'; }

SIZE_MB=${1:-256}
ROUNDS=${2:-5}
SMALL=${3:-200}
BYTES=$((SIZE_MB * 1048576))
USER_NAME=bench
USER_PASS=bench-Pa55

ensure_pkgs curl:curl python3:python3 apache2:apache2 htpasswd:apache2-utils
APACHE=/usr/sbin/apache2
MODS=/usr/lib/apache2/modules
[ -x "$APACHE" ] || { echo "apache2 not found after install" >&2; exit 1; }

WORK=$(mktemp -d /dev/shm/webdav-bench.XXXXXX)
chmod 755 "$WORK" # Apache workers run as www-data
OURS_PID=""
APACHE_PID=""
cleanup() {
  if [ -n "$OURS_PID" ]; then kill "$OURS_PID" 2>/dev/null || true; fi
  if [ -n "$APACHE_PID" ]; then kill "$APACHE_PID" 2>/dev/null || true; fi
  wait 2>/dev/null || true
  [ -n "${KEEP_WORK:-}" ] && echo "work dir kept: $WORK" >&2 || rm -rf "$WORK"
}
trap cleanup EXIT

head -c "$BYTES" /dev/urandom >"$WORK/payload"
mkdir -p "$WORK/small"
for i in $(seq 1 "$SMALL"); do head -c 4096 /dev/urandom >"$WORK/small/f$i"; done

# --- our server
(cd "$BENCH_ROOT" && go build -o "$WORK/davserver" ./bench/davserver)
mkdir -p "$WORK/ours/home" "$WORK/ours/config"
OURS_PORT=$(free_port)
"$WORK/davserver" -addr "127.0.0.1:$OURS_PORT" -home "$WORK/ours/home" -config-dir "$WORK/ours/config" \
  -user "$USER_NAME" -password "$USER_PASS" -upload-mode "${UPLOAD_MODE:-0}" >"$WORK/ours/addr" 2>"$WORK/ours/log" &
OURS_PID=$!
wait_port 127.0.0.1 "$OURS_PORT"

# --- Apache httpd + mod_dav
mkdir -p "$WORK/apache/docs" "$WORK/apache/run"
chown -R www-data:www-data "$WORK/apache/docs" "$WORK/apache/run"
APACHE_PORT=$(free_port)
htpasswd -bc "$WORK/apache/htpasswd" "$USER_NAME" "$USER_PASS" 2>/dev/null
cat >"$WORK/apache/httpd.conf" <<CONF
ServerRoot /etc/apache2
ServerName 127.0.0.1
Listen 127.0.0.1:$APACHE_PORT
PidFile $WORK/apache/run/httpd.pid
ErrorLog $WORK/apache/error.log
LogLevel warn
LoadModule mpm_event_module $MODS/mod_mpm_event.so
LoadModule authn_core_module $MODS/mod_authn_core.so
LoadModule authn_file_module $MODS/mod_authn_file.so
LoadModule authz_core_module $MODS/mod_authz_core.so
LoadModule authz_user_module $MODS/mod_authz_user.so
LoadModule auth_basic_module $MODS/mod_auth_basic.so
LoadModule dav_module $MODS/mod_dav.so
LoadModule dav_fs_module $MODS/mod_dav_fs.so
User www-data
Group www-data
Mutex file:$WORK/apache/run
DefaultRuntimeDir $WORK/apache/run
DocumentRoot $WORK/apache/docs
DavLockDB $WORK/apache/run/davlock
<Directory $WORK/apache/docs>
  Dav On
  AuthType Basic
  AuthName "bench"
  AuthUserFile $WORK/apache/htpasswd
  Require valid-user
</Directory>
CONF
"$APACHE" -f "$WORK/apache/httpd.conf" -DFOREGROUND 2>>"$WORK/apache/error.log" &
APACHE_PID=$!
wait_port 127.0.0.1 "$APACHE_PORT"

CURL=(curl -sS -f -u "$USER_NAME:$USER_PASS")

# put BASE_URL -> MB/s
put() {
  local t0 t1
  t0=$(now_ns)
  "${CURL[@]}" -T "$WORK/payload" "$1/payload" >/dev/null
  t1=$(now_ns)
  mbps "$BYTES" "$((t1 - t0))"
}

# get BASE_URL -> MB/s (content checked)
get() {
  local t0 t1
  t0=$(now_ns)
  "${CURL[@]}" -o "$WORK/download" "$1/payload"
  t1=$(now_ns)
  cmp -s "$WORK/payload" "$WORK/download" || { echo "download from $1 corrupted" >&2; exit 1; }
  rm -f "$WORK/download"
  mbps "$BYTES" "$((t1 - t0))"
}

# small COLLECTION_URL -> files/s: SMALL files of 4 KiB in one curl (one
# kept-alive connection), into a new collection.
small() {
  local t0 t1
  "${CURL[@]}" -o /dev/null -X MKCOL "$1"
  t0=$(now_ns)
  "${CURL[@]}" -T "$WORK/small/f[1-$SMALL]" "$1" >/dev/null
  t1=$(now_ns)
  rate "$SMALL" "$((t1 - t0))"
}

# propfind COLLECTION_URL -> requests/s: 20 Depth-1 PROPFINDs of it.
propfind() {
  local t0 t1 urls=()
  for _ in $(seq 1 20); do urls+=("$1"); done
  t0=$(now_ns)
  "${CURL[@]}" -X PROPFIND -H 'Depth: 1' "${urls[@]}" >/dev/null
  t1=$(now_ns)
  rate 20 "$((t1 - t0))"
}

OURS="http://127.0.0.1:$OURS_PORT"
APA="http://127.0.0.1:$APACHE_PORT"
declare -A R
for round in $(seq 1 "$ROUNDS"); do
  for side in ours apache; do
    base=$OURS
    [ "$side" = apache ] && base=$APA
    R[put-$side]+="$(put "$base") "
    R[get-$side]+="$(get "$base") "
    R[small-$side]+="$(small "$base/small-$round/") "
    R[propfind-$side]+="$(propfind "$base/small-$round/") "
  done
done

echo "| WebDAV over loopback (curl, ${SIZE_MB} MiB file, ${SMALL} x 4 KiB, ${ROUNDS} alternating rounds, our upload_mode ${UPLOAD_MODE:-0}) | ours best / median | Apache mod_dav best / median | ratio (median) |"
echo "| --- | --- | --- | --- |"
row() {
  local ob om ab am
  read -r ob om <<<"$(stats ${R[$1-ours]})"
  read -r ab am <<<"$(stats ${R[$1-apache]})"
  echo "| $2 | $ob / $om | $ab / $am | $(ratio "$om" "$am") |"
}
row put "upload (PUT), MB/s"
row get "download (GET), MB/s"
row small "small uploads (PUT), files/s"
row propfind "PROPFIND Depth 1 of ${SMALL} entries, requests/s"
