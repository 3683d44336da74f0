# Shared helpers for the scripts in this folder. Sourced, not executed.

# System packages the toolchain uses: pcscd and the vpcd reader driver for the
# simulator-as-a-card path, OpenSC as the reference client, Ant for the Java build,
# Chromium to open the compatibility report headless in the tests.
JPKI_APT_PACKAGES="pcscd libpcsclite-dev vsmartcard-vpcd opensc pcsc-tools ant maven"
# Wanted but not needed: the HTML report's screenshot test says loudly when it is missing.
JPKI_OPTIONAL_APT_PACKAGES="chromium"

log() { printf '\033[1m==>\033[0m %s\n' "$*" >&2; }

have() { command -v "$1" >/dev/null 2>&1; }

# Install missing system packages with apt when we are allowed to (root, apt present).
# The packages of the list given that dpkg does not report installed, space-separated.
missing_packages() {
  local missing=""
  for p in $1; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
  done
  echo "$missing"
}

ensure_optional_packages() {
  local missing
  missing=$(missing_packages "$JPKI_OPTIONAL_APT_PACKAGES")
  [ -z "$missing" ] && return 0
  if [ "$(id -u)" = 0 ] && have apt-get; then
    log "installing optional system packages:$missing"
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null \
      || log "could not install$missing: the tests that need them will say so"
  fi
  return 0
}

ensure_system_packages() {
  local missing
  missing=$(missing_packages "$JPKI_APT_PACKAGES")
  [ -z "$missing" ] && return 0
  if [ "$(id -u)" = 0 ] && have apt-get; then
    log "installing system packages:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
  else
    log "missing system packages:$missing (run as root, or install them with apt-get)"
    return 1
  fi
}

ensure_node_modules() {
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    log "installing npm dependencies"
    npm ci --no-audit --no-fund --loglevel=error
  fi
}

# pcscd must be running for the pcsc transport. Start it in the background when
# it is installed and nobody runs it yet (a system service counts as running).
ensure_pcscd() {
  if ! have pcscd && [ ! -x /usr/sbin/pcscd ]; then
    return 1
  fi
  if pgrep -x pcscd >/dev/null 2>&1; then
    return 0
  fi
  if [ "$(id -u)" != 0 ]; then
    log "pcscd is installed but not running; start it (sudo systemctl start pcscd) to use the pcsc path"
    return 1
  fi
  log "starting pcscd"
  mkdir -p /run/pcscd
  (/usr/sbin/pcscd -f >/tmp/jpki-pcscd.log 2>&1 &)
  for _ in $(seq 1 50); do
    [ -S /run/pcscd/pcscd.comm ] && return 0
    sleep 0.1
  done
  log "pcscd did not come up; see /tmp/jpki-pcscd.log"
  return 1
}

# PostgreSQL for the services' second engine: Debian's package, its default cluster started, a TEST role
# and its URL exported as JPKI_TEST_POSTGRES_URL (the services suites then run on it as well as on SQLite).
# A server already named by JPKI_TEST_POSTGRES_URL is used as it is.
JPKI_TEST_POSTGRES_ROLE=jpki
JPKI_TEST_POSTGRES_PASSWORD=jpki-test
ensure_postgres() {
  if [ -n "${JPKI_TEST_POSTGRES_URL:-}" ]; then return 0; fi
  if [ "$(id -u)" != 0 ]; then
    log "PostgreSQL: not root, so not started; set JPKI_TEST_POSTGRES_URL to run the services suites on it"
    return 1
  fi
  if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    log "installing PostgreSQL (Debian's postgresql package)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null || return 1
  fi
  local version
  version=$(ls /usr/lib/postgresql | sort -n | tail -1)
  if ! pg_lsclusters -h 2>/dev/null | grep -q "^$version main"; then
    pg_createcluster "$version" main >/dev/null || return 1
  fi
  if ! pg_lsclusters -h | grep -q "^$version main .* online"; then
    log "starting PostgreSQL $version"
    pg_ctlcluster "$version" main start || return 1
  fi
  local port
  port=$(pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" { print $3 }')
  su postgres -c "psql -q -p $port -c \"DO \\\$\\\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$JPKI_TEST_POSTGRES_ROLE') THEN CREATE ROLE $JPKI_TEST_POSTGRES_ROLE LOGIN CREATEDB PASSWORD '$JPKI_TEST_POSTGRES_PASSWORD'; END IF; END \\\$\\\$;\"" >/dev/null || return 1
  export JPKI_TEST_POSTGRES_URL="postgres://$JPKI_TEST_POSTGRES_ROLE:$JPKI_TEST_POSTGRES_PASSWORD@127.0.0.1:$port/postgres"
}
