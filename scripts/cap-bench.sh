#!/usr/bin/env bash
# Builds test-vectors/cap/bench-20k.cap: a package whose load file is about 20 KB (a static byte array),
# for LOAD benchmarks. Generated here, converted with the Java Card SDK in JC_HOME; the CAP is committed
# so that benchmarks and CI need no SDK.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${JC_HOME:?set JC_HOME to a Java Card SDK (3.0.5 classic kit)}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/src/org/jpkisim/bench" "$tmp/classes" "$tmp/out"
node -e '
const fs = require("fs");
const dir = process.argv[1];
let x = 0x12345678;
const parts = 5, per = 3900;
for (let p = 0; p < parts; p++) {
  const bytes = [];
  for (let i = 0; i < per; i++) { x = (x * 1103515245 + 12345) >>> 0; bytes.push(((x >>> 16) & 0xff) - 128); }
  const lines = [];
  for (let i = 0; i < per; i += 32) lines.push("    " + bytes.slice(i, i + 32).join(", ") + ",");
  fs.writeFileSync(`${dir}/Data${p}.java`, `package org.jpkisim.bench;

/** Part ${p} of the benchmark payload. */
final class Data${p} {
  static final byte[] DATA = {
${lines.join("\n")}
  };
}
`);
}
fs.writeFileSync(`${dir}/BenchApplet.java`, `package org.jpkisim.bench;

import javacard.framework.APDU;
import javacard.framework.Applet;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;

/** A package of about 20 KB for LOAD benchmarks: it answers SELECT, and INS 01 with one byte of each part. */
public final class BenchApplet extends Applet {
  public static void install(byte[] buffer, short offset, byte length) {
    new BenchApplet().register();
  }

  public void process(APDU apdu) {
    if (selectingApplet()) return;
    byte[] buffer = apdu.getBuffer();
    if (buffer[ISO7816.OFFSET_INS] != (byte) 0x01) ISOException.throwIt(ISO7816.SW_INS_NOT_SUPPORTED);
${Array.from({ length: parts }, (_, p) => `    buffer[${p}] = Data${p}.DATA[0];`).join("\n")}
    apdu.setOutgoingAndSend((short) 0, (short) ${parts});
  }
}
`);
' "$tmp/src/org/jpkisim/bench"
javac -nowarn -g:none --release 7 -cp "$JC_HOME/lib/api_classic.jar" -d "$tmp/classes" "$tmp"/src/org/jpkisim/bench/*.java 2>&1 | grep -v '^warning' || true
java -cp "$JC_HOME/lib/tools.jar:$JC_HOME/lib/api_classic.jar" com.sun.javacard.converter.Main \
  -classdir "$tmp/classes" -exportpath "$JC_HOME/api_export_files" \
  -applet 0xD3:0x92:0xF0:0x00:0x26:0x7F:0x00:0x00:0x00:0x01 org.jpkisim.bench.BenchApplet \
  -out CAP -d "$tmp/out" org.jpkisim.bench 0xD3:0x92:0xF0:0x00:0x26:0x7F:0x00:0x00:0x00 1.0 >"$tmp/log" 2>&1 || { cat "$tmp/log" >&2; exit 1; }
cp "$(find "$tmp/out" -name '*.cap' | head -1)" test-vectors/cap/bench-20k.cap
# the class files the 3.0.5 converter adds under APPLET-INF/ are not part of the load file
zip -q -d test-vectors/cap/bench-20k.cap "APPLET-INF/classes/*" || true
echo "built test-vectors/cap/bench-20k.cap ($(stat -c %s test-vectors/cap/bench-20k.cap) bytes)"
