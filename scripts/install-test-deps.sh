#!/usr/bin/env bash
# Installs what the test suite needs and is missing: the system clients and
# peers the end-to-end tests drive. Idempotent; does nothing when all is there.
set -euo pipefail

# command -> Debian package
declare -A tools=(
  [sftp]=openssh-client
  [scp]=openssh-client
  [ssh-keygen]=openssh-client
  [sshd]=openssh-server
  [lftp]=lftp
  [curl]=curl
  [rclone]=rclone
  [litmus]=litmus
  [vsftpd]=vsftpd
  [node]=nodejs
  [npm]=npm
  [systemd-analyze]=systemd
  [ssh-audit]=ssh-audit
)

missing=()
for cmd in "${!tools[@]}"; do
  if ! command -v "$cmd" >/dev/null 2>&1 && ! [ -x "/usr/sbin/$cmd" ]; then
    missing+=("${tools[$cmd]}")
  fi
done

if [ "${#missing[@]}" -gt 0 ]; then
  mapfile -t pkgs < <(printf '%s\n' "${missing[@]}" | sort -u)
  echo "installing: ${pkgs[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${pkgs[@]}"
fi

# sshd refuses to start without its privilege-separation directory.
if [ -d /run ] && [ ! -d /run/sshd ]; then
  mkdir -p /run/sshd 2>/dev/null || true
fi


# npm emulators, kept inside the repository (ignored by git): Azurite for
# the Azure Blob backend tests, s3rver as a second S3 implementation (Debian
# packages no S3 server). Tests look for .cache/npm/node_modules/.bin.
REPO=$(cd "$(dirname "$0")/.." && pwd)
NPM_DIR="$REPO/.cache/npm"
# The versions of every package, dependencies included, are pinned by
# test/emulators/package-lock.json: a registry that publishes a newer
# dependency (or lacks one a new release asks for) must not change or break
# what the tests run against.
if ! [ -x "$NPM_DIR/node_modules/.bin/azurite-blob" ] || ! [ -x "$NPM_DIR/node_modules/.bin/s3rver" ] ||
   ! cmp -s "$REPO/test/emulators/package-lock.json" "$NPM_DIR/package-lock.json"; then
  mkdir -p "$NPM_DIR"
  cp "$REPO/test/emulators/package.json" "$REPO/test/emulators/package-lock.json" "$NPM_DIR/"
  npm ci --silent --no-audit --no-fund --prefix "$NPM_DIR"
fi

# Browser test of the web UIs (internal/e2e/browser_test.go): Debian's
# Chromium driven by playwright-core, installed into test/browser
# (git-ignored). Playwright must never download a browser of its own.
if ! [ -x /usr/bin/chromium ]; then
  echo "installing: chromium"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends chromium
fi
if ! [ -f "$REPO/test/browser/node_modules/playwright-core/package.json" ]; then
  (cd "$REPO/test/browser" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --silent --no-audit --no-fund)
fi

# The linter `make lint` runs.
if ! [ -x "$(go env GOPATH)/bin/staticcheck" ]; then
  GOFLAGS= go install honnef.co/go/tools/cmd/staticcheck@v0.8.2
fi

# fake-gcs-server run as a program (internal/e2e/gcs_program_test.go).
if ! [ -x "$(go env GOPATH)/bin/fake-gcs-server" ]; then
  GOFLAGS= go install github.com/fsouza/fake-gcs-server@v1.56.1
fi
# Database servers for the data provider and multi-node tests
# (internal/dbtest starts private instances on loopback; nothing runs as a
# service). Debian's postgresql and mariadb-server never start by themselves.
dbpkgs=()
if ! compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null && ! command -v initdb >/dev/null 2>&1; then
  dbpkgs+=(postgresql)
fi
if ! [ -x /usr/sbin/mariadbd ] && ! command -v mariadbd >/dev/null 2>&1; then
  dbpkgs+=(mariadb-server)
fi
if [ "${#dbpkgs[@]}" -gt 0 ]; then
  echo "installing: ${dbpkgs[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${dbpkgs[@]}"
fi
echo "test dependencies present"
# nmap: internal/e2e checks with ssl-enum-ciphers which TLS suites the listeners offer.
if ! command -v nmap >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends nmap
fi
