#!/usr/bin/env bash
# Generates the TEST card-authority CA in test-vectors/card-authority/: an RSA-2048 root key and its
# self-signed certificate, which the simulator uses to certify every simulated card's CASD key.
# Published test material, like test-vectors/certs: run once, commit the output. Regenerating it
# invalidates every CASD certificate in existing card state files (their cards still load, but
# their certificates no longer chain to the new root).
set -euo pipefail
cd "$(dirname "$0")/../test-vectors/card-authority"
if [ -e root.key.pem ] && [ "${1:-}" != "--force" ]; then
  echo "test-vectors/card-authority already holds a root (use --force to replace it)" >&2
  exit 1
fi
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out root.key.pem
openssl req -x509 -new -key root.key.pem -sha256 -days 9125 -set_serial 0x4A504B4943410001 -out root.pem \
  -subj "/C=JP/O=JPKI-SIM TEST ONLY/OU=NOT FOR PRODUCTION/CN=TEST JPKI-SIM Card Authority Root" \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
openssl x509 -in root.pem -outform DER -out root.der
