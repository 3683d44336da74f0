#!/usr/bin/env bash
# The reference CAP file of this repository's applet, kept in test-vectors/cap/ so that CAP parsing and
# LOAD run against a real CAP on every test run, without a Java Card SDK.
#
#   scripts/cap-reference.sh check   exit 0 when the CAP matches applet/src, 1 when it is stale
#   scripts/cap-reference.sh build   rebuild it with the SDK's converter (needs JC_HOME, GP_API_JAR,
#                                    GP_EXPORT_PATH; a 2.2.2 kit gives the most widely loadable CAP)
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

# Class files for converters that only read older formats: current JDKs emit Java 7 (51) at the
# lowest; the converter of a 2.2.2 kit reads up to 49, of a 3.0.4 kit up to 50. Bytecode that uses
# no Java 7 feature (Java Card source cannot) is the same format, so the version is relabelled.
relabel_classes() {
  find "$1" -name '*.class' -exec python3 -c 'import sys
version = int(sys.argv[1])
for p in sys.argv[2:]:
    b = bytearray(open(p, "rb").read())
    b[6:8] = version.to_bytes(2, "big")
    open(p, "wb").write(b)' "$2" {} +
}

build() {
  : "${JC_HOME:?set JC_HOME to a Java Card SDK: a 2.2.2 kit (lib/converter.jar) or a 3.0.x classic kit (lib/tools.jar)}"
  : "${GP_API_JAR:?set GP_API_JAR to the GlobalPlatform API jar (org.globalplatform 1.1 or later)}"
  : "${GP_EXPORT_PATH:?set GP_EXPORT_PATH to the directory holding org/globalplatform/javacard/globalplatform.exp}"
  tmp=$(mktemp -d)
  trap 'rm -rf "${tmp:-}"' EXIT
  mkdir -p "$tmp/classes" "$tmp/out"
  local api converter_cp converter_main version
  if [ -f "$JC_HOME/lib/converter.jar" ]; then
    api="$JC_HOME/lib/api.jar"; version=49
    converter_cp="$JC_HOME/lib/converter.jar:$JC_HOME/lib/offcardverifier.jar"
    converter_main=com.sun.javacard.converter.Converter
  else
    api="$JC_HOME/lib/api_classic.jar"; version=50
    # 3.0.x converters refuse to run unless java.version looks like "1.x.y"; set it, then start them.
    mkdir -p "$tmp/launcher"
    cat > "$tmp/launcher/ConverterLauncher.java" <<'JAVA'
public class ConverterLauncher {
    public static void main(String[] args) throws Exception {
        System.setProperty("java.version", "1.8.0");
        com.sun.javacard.converter.Main.main(args);
    }
}
JAVA
    javac -proc:none -cp "$JC_HOME/lib/tools.jar" -d "$tmp/launcher" "$tmp/launcher/ConverterLauncher.java"
    converter_cp="$tmp/launcher:$JC_HOME/lib/tools.jar:$api"
    converter_main=ConverterLauncher
  fi
  javac -nowarn -g:none --release 7 -sourcepath applet/src -cp "$api:$GP_API_JAR" -d "$tmp/classes" \
    $(find applet/src -name '*.java') 2>&1 | grep -v '^warning' || true
  relabel_classes "$tmp/classes" "$version"
  java -Djc.home="$JC_HOME" -cp "$converter_cp" "$converter_main" \
    -classdir "$tmp/classes" -exportpath "$JC_HOME/api_export_files:$GP_EXPORT_PATH" \
    -applet "$APPLET_AID" "$APPLET_CLASS" -out CAP -d "$tmp/out" "$PACKAGE" "$PACKAGE_AID" "$VERSION" \
    >"$tmp/converter.log" 2>&1 || { cat "$tmp/converter.log" >&2; exit 1; }
  grep -q "0 errors" "$tmp/converter.log" || { cat "$tmp/converter.log" >&2; exit 1; }
  local out
  out=$(find "$tmp/out" -name '*.cap' | head -1)
  mkdir -p "$(dirname "$CAP")"
  cp "$out" "$CAP"
  local load_size
  load_size=$(unzip -lv "$CAP" | awk '$8 ~ /\.cap$/ && $8 !~ /Descriptor|Debug/ {s += $1} END {print s}')
  cat > "$META" <<JSON
{
  "sourceHash": "$(source_hash)",
  "package": "$PACKAGE",
  "packageAid": "D392F0002601000000",
  "appletAid": "D392F000260100000001",
  "version": "$VERSION",
  "sdk": "$(basename "$JC_HOME")",
  "gpApi": "$(basename "$(dirname "$GP_API_JAR")")",
  "loadFileBytes": $load_size,
  "built": "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
}
JSON
  echo "rebuilt $CAP from applet/src ($(stat -c %s "$CAP") bytes, load file $load_size bytes without Descriptor)"
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
