#!/usr/bin/env bash
# One command from a fresh clone to the whole story on jCardSim: installs what is missing (system
# packages when root, npm packages, Java dependencies), builds, runs the credential's whole life with
# `jpki-harness demo` (issuance ①–⑱, both use cases, PIN lock and reset, renewal, transfer to another
# operator's SIM, revocation; each phase timed), then personalises a simulated card with the TEST
# credential and runs the scenarios in
# test-vectors/scenarios — through pcscd + vpcd when they are available, else over the direct
# simulator link. It says which.
#   scripts/quickstart.sh [scenario.yaml ...]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

if [ $# -gt 0 ]; then scenarios=("$@"); else
  scenarios=(test-vectors/scenarios/read-certificate.yaml test-vectors/scenarios/pin-and-sign.yaml); fi
ensure_system_packages || log "some system packages are missing; falling back where possible"
have ant || { log "Ant is required for the Java build (apt-get install ant)"; exit 1; }
ensure_node_modules
log "building the harness and the simulator"
npm run -s build
ant -q simulator >/dev/null

cli="node dist/harness/src/cli/main.js"
log "the credential's whole life on the simulator: issuance ①–⑱, both use cases, PIN reset, renewal, transfer, revocation (jpki-harness demo)"
$cli demo
if ensure_pcscd && $cli sim start >/dev/null; then
  reader="$($cli readers --json 2>/dev/null | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const r=JSON.parse(s);const v=r.find(n=>n.endsWith(" 00 00"))||"";process.stdout.write(v)})')"
  if [ -n "$reader" ]; then
    log "path: pcscd + vpcd (reader '$reader'); the simulator keeps running: '$cli sim stop' ends it"
    log "personalising the simulated card with the TEST credential (secure channel, sealed content)"
    $cli personalise --reader "$reader"
    status=0
    $cli run --transport pcsc --reader "$reader" "${scenarios[@]}" || status=$?
    if have opensc-tool; then
      log "OpenSC sees the same reader and card (opensc-tool -l):"
      opensc-tool -l || true
    fi
    exit $status
  fi
  log "pcscd has no vpcd reader; using the direct simulator link instead"
else
  log "pcscd + vpcd are not available; using the direct simulator link"
fi
log "path: direct (the harness plays the vpcd reader)"
exec $cli run --transport sim --personalise "${scenarios[@]}"
