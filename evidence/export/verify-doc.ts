import { readFileSync } from 'node:fs';
import { dataPath } from '../../core/data-files';
import type { PackModel } from './model';

let script: string | undefined;

/**
 * The pack's check script (evidence/export/verify.sh, shipped as `verify.sh` and quoted verbatim in
 * VERIFY.md). It is a real shell file in the source tree, so it is read and tested as what it is; it needs
 * POSIX sh, sed, awk, grep, sort, tail, cut, wc, sha256sum and openssl 3 only, and parses JSON with a small
 * awk tokenizer (layout-independent: pretty or one-line JSON alike).
 */
export function verifyScript(): string {
  script ??= readFileSync(dataPath('evidence', 'export', 'verify.sh'), 'utf8');
  return script;
}

/** What the signed export.json states, for the document. */
export interface PackFactsForDoc {
  toSequence: number;
  headDigest: string | null;
  keyId: string;
  checkpoints: number;
  timestampTokens: number;
  transitions: number;
}

function anchorText(model: PackModel): string {
  const s = model.segment;
  const before = `manifest #${s.fromSequence - 1} in the live store: \`sha256sum <store>/manifests/${String(Math.max(0, s.fromSequence - 1)).padStart(12, '0')}.json\``;
  if (s.toSequence === undefined) {
    return `This pack holds no bundle. \`export.json\` still records the anchor, the sha256 of the last manifest sealed before
the window (\`${s.previousDigest ?? 'none'}\`), so the next pack can be tied to it; compare it with ${s.previousDigest ? before : 'nothing: the store had no bundle yet'}.`;
  }
  if (s.previousDigest === null) {
    return `Bundle #${s.fromSequence} starts the store's hash chain: its \`previousDigest\` is null, and so is the anchor in
\`export.json\`. Every bundle from the first one on is in this pack.`;
  }
  return `Only bundles sealed inside the window are included. Every manifest names the sha256 of the manifest
before it (\`previousDigest\`); the first one here, bundle #${s.fromSequence}, names
\`${s.previousDigest}\`, the manifest sealed just before the window,
which is **not** in this pack. \`export.json\` records that digest as the anchor, so the segment verifies by
itself. To tie it to the rest of the chain, compare the anchor with the sha256 of the last manifest of the
previous audit pack, or of ${before}.`;
}

/** VERIFY.md: how to check the pack without trusting evidence-hub, in the order the checks depend on each other. */
export function verifyDoc(model: PackModel, facts: PackFactsForDoc): string {
  const s = model.segment;
  const first = model.bundles[0];
  const example = first
    ? `For bundle #${first.sequence}, whose manifest has sha256 \`${first.digest}\` and was signed with key \`${first.keyId}\`:

\`\`\`sh
sha256sum ${first.manifest}
openssl pkeyutl -verify -pubin -inkey keys/${first.keyId}.pem -rawin -in ${first.manifest} -sigfile ${first.signature}
# Signature Verified Successfully
\`\`\``
    : 'This pack holds no bundle: no sweep was sealed in its window.';
  const range = s.toSequence !== undefined ? `bundles #${s.fromSequence} to #${s.toSequence}` : 'no bundle';
  return `# Verifying this audit pack

Window: ${model.window.from} to ${model.window.to}. Contents: ${range} of the evidence store's hash chain,
every evidence blob they reference, the store's public keys${facts.transitions > 0 ? ' and key transition statements' : ''},
${facts.checkpoints} signed checkpoint(s)${facts.timestampTokens > 0 ? ` (${facts.timestampTokens} with an RFC 3161 time-stamp token)` : ''}, a report
(\`report/index.html\`), \`index.json\` and OSCAL assessment results (\`oscal/assessment-results.json\`).
Generated ${model.generatedAt}; \`export.json\` is signed by key \`${facts.keyId}\`.

Everything below needs \`sha256sum\` and \`openssl\` (3.x) only; \`verify.sh\` (quoted in full at the end) does
all of it with POSIX \`sh\`, \`sed\`, \`awk\`, \`grep\`, \`sort\`, \`tail\`, \`cut\` and \`wc\` besides.

| path | holds |
|---|---|
| \`manifests/<12-digit sequence>.json\` | one manifest per bundle, byte for byte as sealed |
| \`signatures/<sha256 of the manifest file>.sig\` | raw 64-byte ed25519 signature over the manifest's bytes |
| \`blobs/sha256/<first 2 hex>/<sha256>\` | evidence bytes, named by their sha256 |
| \`keys/<keyId>.pem\`, \`keys/<keyId>.json\` | public keys; the \`.json\` gives each key's validity period |
| \`keys/transitions/<new keyId>.json\`, \`.sig\` | key rotations: the old key signs the new key's fingerprint and start (only if any) |
| \`checkpoints/<sequence>.txt\`, \`.sig\`, \`.tsr\` | signed checkpoints of the chain; \`.tsr\` an RFC 3161 token over the \`.txt\` (only if any) |
| \`tombstones/<sha256>.json\`, \`.sig\` | signed records of blobs deleted by retention (only if any) |
| \`export.json\`, \`export.json.sig\` | the window, first and last bundle, head digest and store id of this pack, signed |
| \`store.json\` | store marker |
| \`SHA256SUMS\` | sha256 of every other file, for checking the transfer (not a signature: anyone can rebuild it) |

## 1. Get the trusted key fingerprint out of band

Every signature in this pack is only as good as the key behind it, and anyone who could alter the pack could
also replace the keys in \`keys/\` and re-sign everything. So the key to trust is **never taken from the pack**.
Get its fingerprint (\`sha256:<64 hex digits>\`, the SHA-256 of the raw 32-byte ed25519 public key) from:

- the organisation's evidence-hub configuration, \`signing.trustedKeys\` (ask for it directly, not inside this pack);
- the fingerprint printed in the audit report or statement the organisation signed off;
- the key holder, over a channel you already trust (\`evidence-hub keys show\` prints it on their side).

A fingerprint pinned for an earlier audit still works after a key rotation: each rotation is a statement
signed by the old key (step 3).

## 2. Check the key files against it

For each key file, compute its fingerprint and its key id, and compare:

\`\`\`sh
openssl pkey -pubin -in keys/<keyId>.pem -outform DER | tail -c 32 | sha256sum   # the fingerprint
openssl pkey -pubin -in keys/<keyId>.pem -outform DER | sha256sum | cut -c1-16   # must equal <keyId>
\`\`\`

The key whose fingerprint equals the trusted one is trusted. A key id that does not match its file means the
key was swapped under an existing name.

## 3. Check each key transition statement

A rotation writes \`keys/transitions/<new keyId>.json\`: \`from\` (old key id and fingerprint), \`to\` (new key id,
fingerprint and public key) and \`validFrom\`, signed by the **old** key in \`.sig\` (and optionally by the new
key in \`.countersig\`). Starting from the trusted key, follow them in \`validFrom\` order:

\`\`\`sh
openssl pkeyutl -verify -pubin -inkey keys/<old keyId>.pem -rawin -in keys/transitions/<new keyId>.json -sigfile keys/transitions/<new keyId>.sig
openssl pkey -pubin -in keys/<new keyId>.pem -outform DER | tail -c 32 | sha256sum   # must equal "to"."fingerprint"
\`\`\`

A new key is trusted only when a trusted key signed its statement and its file has the endorsed fingerprint.

## 4. Validity periods

Each key is valid from \`validFrom\` until \`validUntil\` in \`keys/<keyId>.json\` (no \`validUntil\`: still current).
A signed transition narrows both keys: the old key ends and the new one starts at the statement's
\`validFrom\`. Every bundle's signing time (its manifest's \`finishedAt\`) and every checkpoint's \`time\` must lie
inside the period of the key that signed it (evidence-hub allows five minutes of clock skew before
\`validFrom\`). The \`.json\` files themselves are not signed; the transitions are.

## 5. The signed export.json

\`export.json\` states the window, \`fromSequence\`, \`toSequence\`, \`previousDigest\` (the anchor), \`headDigest\`
(the sha256 of manifest \`toSequence\`), \`storeId\` (the sha256 of the store's first manifest), \`keyId\` and
\`fingerprint\`. It is signed by a trusted key:

\`\`\`sh
openssl pkeyutl -verify -pubin -inkey keys/<keyId>.pem -rawin -in export.json -sigfile export.json.sig
\`\`\`

Then: the first and last manifest in \`manifests/\` are \`fromSequence\` and \`toSequence\`, \`sha256sum\` of the
last one is \`headDigest\`, and every manifest's \`finishedAt\` lies inside the window. A pack whose newest bundles
were cut off (even with \`SHA256SUMS\` rebuilt) fails here.

${anchorText(model)}

## 6. The signed checkpoints

After every seal the store's key signs a checkpoint, \`checkpoints/<sequence>.txt\`: six lines (\`store\`,
\`sequence\`, \`head\` = the manifest's sha256, \`time\`, \`key <keyId> sha256:<fingerprint>\`), signature in \`.sig\`:

\`\`\`sh
openssl pkeyutl -verify -pubin -inkey keys/<keyId>.pem -rawin -in checkpoints/<sequence>.txt -sigfile checkpoints/<sequence>.sig
\`\`\`

The key must be trusted, \`store\` must equal \`storeId\` in \`export.json\`, no checkpoint may name a sequence
beyond \`toSequence\` (bundles cut off: truncated), and \`head\` must equal \`sha256sum\` of that manifest
(otherwise the chain was rewritten: forked). Keep these files: a checkpoint from this pack checks the next pack
and the live store (\`evidence-hub verify --checkpoint checkpoints/<sequence>.txt\`).

## 7. The RFC 3161 time-stamp tokens (if any)

When the store is witnessed by a time-stamping authority, \`checkpoints/<sequence>.tsr\` is its token over the
checkpoint. It proves the checkpoint existed at the TSA's time, which the store's owner cannot back-date. Get
the TSA's CA certificate out of band too (from the TSA), then:

\`\`\`sh
openssl ts -verify -data checkpoints/<sequence>.txt -in checkpoints/<sequence>.tsr -CAfile tsa-ca.pem
# Verification: OK
\`\`\`

## 8. Manifests, signatures, chain and blobs

Each manifest's signature, with the (trusted) key named in its \`"signing"\` field:

\`\`\`sh
m=manifests/<sequence>.json
openssl pkeyutl -verify -pubin -inkey keys/<keyId>.pem -rawin -in "$m" -sigfile "signatures/$(sha256sum "$m" | cut -d' ' -f1).sig"
\`\`\`

${example}

The chain: the \`previousDigest\` of manifest N equals \`sha256sum\` of manifest N-1, and that of the first
manifest equals the anchor in \`export.json\`. Each blob matches its name, every blob a manifest lists is here
(or has a tombstone signed by a trusted key), and no blob is here that no manifest lists:

\`\`\`sh
for f in blobs/sha256/*/*; do echo "$(basename "$f")  $f"; done | sha256sum -c --quiet
sha256sum -c --quiet SHA256SUMS   # the transfer (all files, including the report)
\`\`\`

## All of it in one script

\`verify.sh\` in this folder is the script below, byte for byte. Read it before you run it (it is part of the
pack, so it is only as trustworthy as the pack; evidence-hub's source tree has the same file as
\`evidence/export/verify.sh\`). Run it inside the extracted folder, with nothing but the base system on the
PATH if you like; the optional second argument is the TSA's CA certificate:

\`\`\`sh
env -i PATH=/usr/bin:/bin sh verify.sh sha256:<trusted fingerprint> [tsa-ca.pem]
\`\`\`

It prints each problem prefixed with its class (\`untrusted-key\`, \`key-id-mismatch\`, \`transition-invalid\`,
\`export-altered\`, \`checkpoint-invalid\`, \`truncated\`, \`forked\`, \`timestamp-invalid\`, \`unreferenced-blob\`, ...)
and exits 0 when everything checks out, 1 when anything fails, 2 without a fingerprint.

\`\`\`sh
${verifyScript().trimEnd()}
\`\`\`

## With evidence-hub

\`\`\`sh
evidence-hub verify <extracted folder> --trust sha256:<trusted fingerprint>
\`\`\`

It checks the same, plus every bundle's Merkle root, and reports the segment it checked (\`--json\` for
machines). Without \`--trust\` it checks integrity only and exits 3: consistent, but not shown to come from the
organisation's key.

## What this does and does not show

It shows that the bundles were signed by the trusted key (or a key it endorsed), unchanged since, in an
unbroken chain, and that the pack is the one the key holder exported (its window and last bundle). It does
not show that the key holder did not rewrite history before the export: someone holding the private key can
re-sign a different chain. What limits that is a copy held elsewhere: an earlier pack's checkpoints, a
witness, an RFC 3161 token.
`;
}
