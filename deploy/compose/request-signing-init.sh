#!/bin/sh
# Run once by the request-signing-init service (node image) before the orchestrator and the writeback services start.
# Keeps a development Ed25519 key pair for signed writeback requests (docs/security/signed-messages.md) in two volumes:
#   /keys/private/signing-key.pem   PKCS#8 private key: the "request-signing-private" volume, mounted into the
#                                   orchestrator only (WRITEBACK_REQUEST_SIGNING_KEY_FILE)
#   /keys/public/<keyId>.pem        SPKI public key: the "request-signing-public" volume, mounted into the writeback
#                                   services (WRITEBACK_REQUEST_PUBLIC_KEYS names the directory; key id = file name)
# The pair survives container re-creation like the SFTP keys (sftp-init.sh); `docker compose down -v` discards it.
# Same as `openssl genpkey -algorithm ed25519 -out key.pem; openssl pkey -in key.pem -pubout -out key.pub`, done with
# node:crypto because the node image has no openssl command.
set -eu
keys=${KEYS_DIR:-/keys}
key_id=${SIGNING_KEY_ID:-compose-dev}
mkdir -p "$keys/private" "$keys/public"

[ -s "$keys/private/signing-key.pem" ] || node -e '
  const { generateKeyPairSync } = require("node:crypto");
  const { privateKey } = generateKeyPairSync("ed25519");
  require("node:fs").writeFileSync(process.argv[1], privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
' "$keys/private/signing-key.pem"
# The public half is derived from the private key every time, so the two always match; only this key is trusted.
rm -f "$keys/public"/*.pem
node -e '
  const { createPublicKey } = require("node:crypto");
  const fs = require("node:fs");
  fs.writeFileSync(process.argv[2], createPublicKey(fs.readFileSync(process.argv[1])).export({ type: "spki", format: "pem" }));
' "$keys/private/signing-key.pem" "$keys/public/$key_id.pem"

# The apps run as the image's unprivileged "node" user (uid 1000): it alone reads the private key.
chown 1000:1000 "$keys/private/signing-key.pem"
chmod 600 "$keys/private/signing-key.pem"
chmod 644 "$keys/public/$key_id.pem"
