#!/usr/bin/env node
// verify-bundle.js PUB BUNDLE BLOB: verify a Sigstore bundle made with a key,
// offline, with sigstore-js (@sigstore/bundle validates the bundle shape,
// @sigstore/verify checks the signature). No trusted root, no tlog: the key is
// the only trust anchor, as with cosign verify-blob --key --insecure-ignore-tlog.
// The key hint must equal base64(SHA-256(SPKI DER)) of PUB. sigstore-js does
// not compare messageDigest with the blob, so that is checked here too.
// Exit 0 verified, 1 refused (the error code is printed), 2 usage.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const { bundleFromJSON } = require('@sigstore/bundle');
const { Verifier, toSignedEntity, toTrustMaterial } = require('@sigstore/verify');

if (process.argv.length !== 5) {
  console.error('usage: verify-bundle.js PUB BUNDLE BLOB');
  process.exit(2);
}
const [pubPath, bundlePath, blobPath] = process.argv.slice(2);
const pub = crypto.createPublicKey(fs.readFileSync(pubPath, 'utf8'));
const hint = crypto.createHash('sha256').update(pub.export({ type: 'spki', format: 'der' })).digest('base64');
const blob = fs.readFileSync(blobPath);

function refuse(code, message) {
  console.log(`refused: ${code}: ${message}`);
  process.exit(1);
}

try {
  const bundle = bundleFromJSON(JSON.parse(fs.readFileSync(bundlePath, 'utf8')));
  const trust = toTrustMaterial(
    { certificateAuthorities: [], timestampAuthorities: [], tlogs: [], ctlogs: [] },
    (h) => {
      if (h !== hint) refuse('HINT_MISMATCH', `bundle names key ${h}, not ${hint}`);
      return { publicKey: pub, validFor: () => true };
    });
  const verifier = new Verifier(trust, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 });
  verifier.verify(toSignedEntity(bundle, blob));
  if (bundle.content.$case !== 'messageSignature') refuse('NOT_MESSAGE_SIGNATURE', bundle.content.$case);
  const md = bundle.content.messageSignature.messageDigest;
  const digest = crypto.createHash('sha256').update(blob).digest();
  if (md.algorithm !== 1 /* HashAlgorithm.SHA2_256 */ || !digest.equals(Buffer.from(md.digest)))
    refuse('DIGEST_MISMATCH', 'messageDigest is not the SHA-256 of the blob');
} catch (e) {
  refuse(e.code || e.name, e.message);
}
console.log('verified');
