#!/usr/bin/env bash
# install-pgvector.sh — make the pgvector `vector` extension (0.8.x) available
# to the PostgreSQL server installed from Debian packages on this machine.
#
# Why this script exists: Debian 12 (bookworm) does not package pgvector
# (postgresql-NN-pgvector only exists from Debian 13 "trixie" on), and we do not
# want to install trixie binaries on a bookworm machine. So we take Debian's
# trixie *source* package of pgvector and compile it against the bookworm server.
#
# Recipe (what this script automates; do the same by hand for your own Postgres):
#   1. Install the server and its headers + a compiler:
#        apt-get update
#        apt-get install postgresql-15 postgresql-server-dev-15 build-essential dpkg-dev
#   2. Fetch the pgvector source package from trixie WITHOUT touching your apt
#      configuration, using a throw-away apt sources/lists directory:
#        T=$(mktemp -d); chmod 755 "$T"; mkdir -p "$T/lists/partial" "$T/parts"
#        echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main" > "$T/sources.list"
#        APTOPTS="-o Dir::Etc::sourcelist=$T/sources.list -o Dir::Etc::sourceparts=$T/parts \
#                 -o Dir::State::Lists=$T/lists -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache="
#        apt-get $APTOPTS update
#        cd "$T" && apt-get $APTOPTS source --download-only pgvector
#        dpkg-source -x pgvector_*.dsc src
#   3. Build and install against your server (PG_CONFIG selects the server):
#        make -C src OPTFLAGS= PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config
#        make -C src OPTFLAGS= PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config install
#   4. In each database: CREATE EXTENSION IF NOT EXISTS vector;
# Alternatives if you run Postgres yourself: the PGDG apt repository
# (apt.postgresql.org, package postgresql-NN-pgvector), the pgvector/pgvector
# Docker image, or `git clone --branch v0.8.0 https://github.com/pgvector/pgvector`
# followed by step 3.
#
# Environment overrides:
#   PG_MAJOR               PostgreSQL major version (default: newest installed, else 15)
#   PGVECTOR_DEBIAN_MIRROR Debian mirror for the source package
#                          (default: the machine's Debian mirror, else http://deb.debian.org/debian)
#   PGVECTOR_DEBIAN_SUITE  Debian suite to take the source from (default: trixie)
#
# Idempotent: exits 0 immediately if vector.control and vector.so are already installed.
# Needs root (apt-get, make install) unless pgvector is already installed.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

log() { echo "[install-pgvector] $*"; }
die() { echo "[install-pgvector] ERROR: $*" >&2; exit 1; }

APT_UPDATED=0
apt_update_once() {
  if [ "$APT_UPDATED" = 0 ]; then
    log "apt-get update (machine's normal apt sources)"
    apt-get update -q
    APT_UPDATED=1
  fi
}
apt_install() {
  apt_update_once
  log "apt-get install $*"
  apt-get install -y -q --no-install-recommends "$@"
}
need_root() {
  [ "$(id -u)" = 0 ] || die "$1 requires root; re-run as root (e.g. sudo $0)"
}

# --- 1. Which PostgreSQL major? ----------------------------------------------
if [ -z "${PG_MAJOR:-}" ]; then
  PG_MAJOR=""
  if [ -d /usr/lib/postgresql ]; then
    for d in $(ls /usr/lib/postgresql 2>/dev/null | grep -E '^[0-9]+$' | sort -n); do
      [ -x "/usr/lib/postgresql/$d/bin/postgres" ] && PG_MAJOR="$d"
    done
  fi
  PG_MAJOR="${PG_MAJOR:-15}"
  log "PostgreSQL major version: $PG_MAJOR (auto-detected; override with PG_MAJOR)"
else
  log "PostgreSQL major version: $PG_MAJOR (from PG_MAJOR)"
fi
PG_BIN="/usr/lib/postgresql/$PG_MAJOR/bin"
PG_CONFIG="$PG_BIN/pg_config"
EXT_DIR="/usr/share/postgresql/$PG_MAJOR/extension"
LIB_DIR="/usr/lib/postgresql/$PG_MAJOR/lib"

# --- 2. Server installed? ----------------------------------------------------
if [ -x "$PG_BIN/postgres" ]; then
  log "postgresql-$PG_MAJOR server is installed ($PG_BIN/postgres)"
else
  need_root "installing postgresql-$PG_MAJOR"
  log "postgresql-$PG_MAJOR server is not installed; installing it"
  apt_install "postgresql-$PG_MAJOR"
  [ -x "$PG_BIN/postgres" ] || die "postgresql-$PG_MAJOR installed but $PG_BIN/postgres is missing"
fi

# --- 3. Already installed? ---------------------------------------------------
if [ -f "$EXT_DIR/vector.control" ] && [ -f "$LIB_DIR/vector.so" ]; then
  log "pgvector already installed: $EXT_DIR/vector.control ($(grep -E '^default_version' "$EXT_DIR/vector.control" | tr -d "' " || true)); nothing to do"
  exit 0
fi
need_root "building and installing pgvector"
log "pgvector is not installed for PostgreSQL $PG_MAJOR; building it from Debian's source package"

# --- 4. Build prerequisites (from the machine's normal bookworm sources) -------
pkgs=("postgresql-server-dev-$PG_MAJOR")
command -v dpkg-source >/dev/null 2>&1 || pkgs+=(dpkg-dev)
{ command -v make >/dev/null 2>&1 && command -v gcc >/dev/null 2>&1; } || pkgs+=(build-essential)
if [ "${#pkgs[@]}" -gt 1 ] || ! dpkg-query -W -f='${Status}' "postgresql-server-dev-$PG_MAJOR" 2>/dev/null | grep -q 'ok installed'; then
  apt_install "${pkgs[@]}"
else
  log "build prerequisites already installed (postgresql-server-dev-$PG_MAJOR, dpkg-dev, make, gcc)"
fi
[ -x "$PG_CONFIG" ] || die "$PG_CONFIG not found after installing postgresql-server-dev-$PG_MAJOR"

# --- 5. Fetch the source package via a private, throw-away apt config ---------
detect_mirror() {
  local m=""
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    m=$(awk 'tolower($1)=="uris:" { for (i=2;i<=NF;i++) if ($i !~ /security/) { print $i; exit } }' \
          /etc/apt/sources.list.d/debian.sources)
  fi
  if [ -z "$m" ] && [ -f /etc/apt/sources.list ]; then
    m=$(awk '$1=="deb" { i=2; if ($2 ~ /^\[/) { while (i<=NF && $i !~ /\]$/) i++; i++ }
                          if ($i !~ /security/) { print $i; exit } }' /etc/apt/sources.list)
  fi
  echo "${m:-http://deb.debian.org/debian}"
}
MIRROR="${PGVECTOR_DEBIAN_MIRROR:-$(detect_mirror)}"
MIRROR="${MIRROR%/}"
SUITE="${PGVECTOR_DEBIAN_SUITE:-trixie}"

TMP="$(mktemp -d /tmp/install-pgvector.XXXXXX)"
trap 'rm -rf "$TMP"' EXIT
chmod 755 "$TMP"   # apt downloads as the unprivileged _apt user
mkdir -p "$TMP/lists/partial" "$TMP/sources.list.d" "$TMP/build"
# apt-get source downloads into the current dir as the _apt sandbox user
if id _apt >/dev/null 2>&1; then chown _apt "$TMP/build"; fi
echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $MIRROR $SUITE main" > "$TMP/sources.list"
APT_PRIVATE=(
  -o "Dir::Etc::sourcelist=$TMP/sources.list"
  -o "Dir::Etc::sourceparts=$TMP/sources.list.d"
  -o "Dir::State::Lists=$TMP/lists"
  -o "Dir::Cache::pkgcache="
  -o "Dir::Cache::srcpkgcache="
)
log "fetching source index for '$SUITE' from $MIRROR into private apt dir $TMP (system apt config untouched)"
apt-get "${APT_PRIVATE[@]}" update -q
log "apt-get source --download-only pgvector ($SUITE)"
( cd "$TMP/build" && apt-get "${APT_PRIVATE[@]}" source --download-only -q pgvector )
DSC="$(ls "$TMP"/build/pgvector_*.dsc 2>/dev/null | head -n1)"
[ -n "$DSC" ] || die "no pgvector .dsc downloaded"
# dpkg-source warns "cannot verify inline signature" (no debian-keyring installed); that is
# expected: apt already checked every file's hash against the signed trixie InRelease.
log "unpacking $(basename "$DSC")"
( cd "$TMP/build" && dpkg-source -x "$DSC" src )
SRC="$TMP/build/src"
VERSION="$(sed -n 's/^[[:space:]]*default_version[[:space:]]*=[[:space:]]*'"'"'\(.*\)'"'"'.*/\1/p' "$SRC/vector.control")"
log "pgvector source version: ${VERSION:-unknown}"
case "$VERSION" in
  0.8.*) ;;
  *) log "WARNING: expected pgvector 0.8.x, got '${VERSION:-unknown}' from $SUITE" ;;
esac

# --- 6. Build and install ----------------------------------------------------
# OPTFLAGS= : no -march=native, so the build works on any x86-64/arm64 CPU.
log "building pgvector ${VERSION} against $PG_CONFIG"
make -C "$SRC" -j"$(nproc 2>/dev/null || echo 2)" OPTFLAGS= PG_CONFIG="$PG_CONFIG"
log "installing pgvector ${VERSION}"
make -C "$SRC" OPTFLAGS= PG_CONFIG="$PG_CONFIG" install

# --- 7. Verify ---------------------------------------------------------------
[ -f "$EXT_DIR/vector.control" ] || die "$EXT_DIR/vector.control missing after make install"
[ -f "$LIB_DIR/vector.so" ] || die "$LIB_DIR/vector.so missing after make install"
log "OK: pgvector ${VERSION} installed for PostgreSQL $PG_MAJOR ($EXT_DIR/vector.control, $LIB_DIR/vector.so)"
log "cleaning up $TMP"
