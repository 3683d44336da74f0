#!/usr/bin/env bash
# The reference CAP file of this repository's applet, kept in test-vectors/cap/ so that CAP parsing and
# LOAD run against a real CAP on every test run, without a Java Card SDK.
#
#   scripts/cap-reference.sh check   exit 0 when the CAP matches applet/src, 1 when it is stale
#   scripts/cap-reference.sh build   rebuild it (needs JC_HOME; uses `ant cap` when ANT_JAVACARD is set,
#                                    the SDK's converter directly otherwise)
#   scripts/cap-reference.sh hash    print the hash of applet/src the check compares
#
# The hash is SHA-256 over the `sha256sum` lines of every file under applet/src (paths relative,
# sorted bytewise); harness/src/gp/cap/reference.ts computes the same.
set -euo pipefail
cd "$(dirname "$0")/.."

CAP=test-vectors/cap/jpki-applet.cap
META=test-vectors/cap/jpki-applet.cap.json
PACKAGE=org.jpkisim.applet
PACKAGE_AID=0xD3:0x92:0xF0:0x00:0x26:0x01:0x00:0x00:0x00
APPLET_AID=0xD3:0x92:0xF0:0x00:0x26:0x01:0x00:0x00:0x00:0x01
APPLET_CLASS=org.jpkisim.applet.JpkiApplet
VERSION=1.0

source_hash() {
  (cd applet/src && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) | sha256sum | cut -d' ' -f1
}

recorded_hash() {
  [ -f "$META" ] || { echo none; return; }
  sed -n 's/.*"sourceHash": *"\([0-9a-f]*\)".*/\1/p' "$META"
}

build() {
  : "${JC_HOME:?set JC_HOME to a Java Card SDK (3.0.5 or newer classic kit)}"
  local out
  if [ -n "${ANT_JAVACARD:-}" ]; then
    ant -q cap
    out=build/cap/jpki-applet.cap
  else
    tmp=$(mktemp -d)
    trap 'rm -rf "${tmp:-}"' EXIT
    mkdir -p "$tmp/classes" "$tmp/out"
    local cp="$JC_HOME/lib/api_classic.jar"
    [ -n "${GP_API_JAR:-}" ] && cp="$cp:$GP_API_JAR"
    javac -nowarn -g:none --release 7 -cp "$cp" -d "$tmp/classes" $(find applet/src -name '*.java') 2>&1 | grep -v '^warning' || true
    local exportpath="$JC_HOME/api_export_files"
    [ -n "${GP_EXPORT_PATH:-}" ] && exportpath="$exportpath:$GP_EXPORT_PATH"
    java -cp "$JC_HOME/lib/tools.jar:$JC_HOME/lib/api_classic.jar" com.sun.javacard.converter.Main \
      -classdir "$tmp/classes" -exportpath "$exportpath" -applet "$APPLET_AID" "$APPLET_CLASS" \
      -out CAP -d "$tmp/out" "$PACKAGE" "$PACKAGE_AID" "$VERSION" >"$tmp/converter.log" 2>&1 \
      || { cat "$tmp/converter.log" >&2; exit 1; }
    out=$(find "$tmp/out" -name '*.cap' | head -1)
  fi
  mkdir -p "$(dirname "$CAP")"
  cp "$out" "$CAP"
  cat > "$META" <<JSON
{
  "sourceHash": "$(source_hash)",
  "package": "$PACKAGE",
  "packageAid": "D392F0002601000000",
  "appletAid": "D392F000260100000001",
  "version": "$VERSION",
  "sdk": "$(basename "$JC_HOME")",
  "built": "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
}
JSON
  echo "rebuilt $CAP from applet/src ($(stat -c %s "$CAP") bytes)"
}

case "${1:-check}" in
  hash) source_hash ;;
  check)
    if [ "$(source_hash)" = "$(recorded_hash)" ]; then
      echo "$CAP is current with applet/src"
    else
      echo "$CAP is STALE: applet/src changed since it was built (run scripts/cap-reference.sh build with JC_HOME set)"
      exit 1
    fi
    ;;
  build) build ;;
  *) echo "usage: $0 check|build|hash" >&2; exit 2 ;;
esac
