#!/usr/bin/env bash
# WebDAV throughput: `sftpgo serve` against Apache httpd with mod_dav
# (Debian apache2), both on loopback, the same client (curl) with Basic
# auth, files on tmpfs, rounds alternating which server goes first.
# Small files: SMALL files of 4 KiB PUT over one kept-alive connection,
# then Depth-1 PROPFINDs of that collection.
#
# Apache is started by hand with its own configuration (no systemd):
# mpm_event, mod_dav_fs, mod_auth_basic with an htpasswd file, keep-alive
# without a request cap (as ours). Apache always writes a temporary file
# and renames it; UPLOAD_MODE=1 makes ours do the same (default 0: direct).
#
# usage: bench/webdav.sh [SIZE_MB] [ROUNDS] [SMALL_FILES] [SMALL_ROUNDS]
source "$(dirname "$0")/lib.sh"

SIZE_MB=${1:-256}
ROUNDS=${2:-5}
SMALL=${3:-10000}
SMALL_ROUNDS=${4:-3}
BYTES=$((SIZE_MB * 1048576))
USER_NAME=bench
USER_PASS=bench-Pa55

ensure_pkgs curl:curl python3:python3 openssl:openssl apache2:apache2 htpasswd:apache2-utils
ensure_binary
APACHE=/usr/sbin/apache2
MODS=/usr/lib/apache2/modules

WORK=$(mktemp -d "$BENCH_TMP/sftpgo-bench-dav.XXXXXX")
chmod 755 "$WORK" # Apache workers run as www-data
SG_PID="" SP_PID="" APACHE_PID=""
cleanup() {
  kill_wait "$SG_PID" "$SP_PID" "$APACHE_PID"
  rm -rf "$WORK"
}
trap cleanup EXIT

make_payload "$WORK/payload" "$SIZE_MB"
[ "$SMALL" -gt 0 ] && make_small_files "$WORK/small" "$SMALL"
LAST=$(printf '%05d' $((SMALL - 1)))

# --- our server
mkdir -p "$WORK/home-ours"
ssh-keygen -q -t ed25519 -N '' -f "$WORK/client_key"
start_sftpgo "$WORK/ours" SFTPGO_COMMON__UPLOAD_MODE="${UPLOAD_MODE:-0}"
sftpgo_add_user "$USER_NAME" "$USER_PASS" "$WORK/home-ours" "$WORK/client_key.pub"
if has_sftpgo_peer; then
  mkdir -p "$WORK/home-sftpgo"
  start_sftpgo_peer "$WORK/sftpgo" SFTPGO_COMMON__UPLOAD_MODE="${UPLOAD_MODE:-0}"
  sftpgo_peer_add_user "$USER_NAME" "$USER_PASS" "$WORK/home-sftpgo" "$WORK/client_key.pub"
fi

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
KeepAlive On
MaxKeepAliveRequests 0
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
base_url() {
  case "$1" in
    ours) echo "http://127.0.0.1:$SG_DAV" ;;
    sftpgo) echo "http://127.0.0.1:$SP_DAV" ;;
    *) echo "http://127.0.0.1:$APACHE_PORT" ;;
  esac
}

declare -A R
put() {
  local t0 t1
  t0=$(now_ns)
  "${CURL[@]}" -T "$WORK/payload" "$(base_url "$1")/payload" >/dev/null
  t1=$(now_ns)
  R[$1-put]+="$(mbps "$BYTES" "$((t1 - t0))") "
}

get() {
  local t0 t1
  t0=$(now_ns)
  "${CURL[@]}" -o "$WORK/download" "$(base_url "$1")/payload"
  t1=$(now_ns)
  cmp -s "$WORK/payload" "$WORK/download" || { echo "download from $1 corrupted" >&2; exit 1; }
  rm -f "$WORK/download"
  R[$1-get]+="$(mbps "$BYTES" "$((t1 - t0))") "
}

# small SERVER ROUND: SMALL PUTs into a new collection (one curl, one
# kept-alive connection), then 5 Depth-1 PROPFINDs of it.
small() {
  local url t0 t1 n
  url="$(base_url "$1")/small-$2/"
  "${CURL[@]}" -o /dev/null -X MKCOL "$url"
  t0=$(now_ns)
  "${CURL[@]}" -T "$WORK/small/f[00000-$LAST]" "$url" >/dev/null
  t1=$(now_ns)
  R[$1-small]+="$(rate "$SMALL" "$((t1 - t0))") "
  t0=$(now_ns)
  "${CURL[@]}" -X PROPFIND -H 'Depth: 1' "$url" "$url" "$url" "$url" "$url" >"$WORK/propfind.xml"
  t1=$(now_ns)
  n=$(grep -o '<[A-Za-z0-9]*:\?response[ >]' "$WORK/propfind.xml" | wc -l)
  [ "$n" -eq $((5 * (SMALL + 1))) ] || { echo "$1: PROPFIND listed $n entries, want $((5 * (SMALL + 1)))" >&2; exit 1; }
  R[$1-propfind]+="$(rate $((5 * SMALL)) "$((t1 - t0))") "
}

for round in $(seq 1 "$ROUNDS"); do
  order=$(rotation "$round" apache)
  for server in $order; do put "$server"; done
  for server in $order; do get "$server"; done
done
if [ "$SMALL" -gt 0 ]; then
  for round in $(seq 1 "$SMALL_ROUNDS"); do
    order=$(rotation "$round" apache)
    for server in $order; do small "$server" "$round"; done
  done
fi

header3 "WebDAV (curl $(curl --version | head -1 | awk '{print $2}'), ${SIZE_MB} MiB file, ${ROUNDS} rounds; ${SMALL} x 4 KiB, ${SMALL_ROUNDS} rounds; our upload_mode ${UPLOAD_MODE:-0})" "Apache mod_dav"
row3 "WebDAV upload (PUT), MB/s" "${R[ours-put]}" "${R[sftpgo-put]:-}" "${R[apache-put]}"
row3 "WebDAV download (GET), MB/s" "${R[ours-get]}" "${R[sftpgo-get]:-}" "${R[apache-get]}"
if [ "$SMALL" -gt 0 ]; then
  row3 "WebDAV ${SMALL} x 4 KiB upload (PUT), files/s" "${R[ours-small]}" "${R[sftpgo-small]:-}" "${R[apache-small]}"
  row3 "WebDAV listing of ${SMALL} entries (PROPFIND Depth 1), entries/s" "${R[ours-propfind]}" "${R[sftpgo-propfind]:-}" "${R[apache-propfind]}"
fi
