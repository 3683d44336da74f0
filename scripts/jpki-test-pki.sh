#!/usr/bin/env bash
# Regenerates the TEST PKI of the test JPKI system (root CA, user-authentication CA, signature CA,
# their OCSP responders, the test SP-TSM's key-transport key) into test-vectors/jpki-system, or into
# the directory given. Every key it writes is published: TEST ONLY.
#   scripts/jpki-test-pki.sh [directory]
set -euo pipefail
cd "$(dirname "$0")/.."
npm run -s build
node dist/harness/src/services/jpki-system/generate-pki.js "$@"
