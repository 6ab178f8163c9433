import type { PackModel } from './model';

/**
 * A POSIX shell script that checks an extracted pack with sha256sum, openssl, sed and cut only. It relies on
 * the canonical JSON layout of manifests (keys sorted, two-space indent): top-level fields sit at two
 * spaces, `signing.keyId` at four, each artifact's `sha256` at six. VERIFY.md quotes it verbatim.
 */
export const verifyScript = `#!/bin/sh
# verify-pack: run inside the extracted folder. Prints every problem; exits 1 if there is any.
set -u
fail=0

# 1. Every blob's bytes hash to its file name.
blobs=$(find blobs -type f 2>/dev/null | sort)
if [ -n "$blobs" ]; then
  printf '%s\\n' "$blobs" | while read -r f; do printf '%s  %s\\n' "\${f##*/}" "$f"; done | sha256sum -c --quiet - || fail=1
fi

# 2. Every blob a manifest lists is here, or was deleted by retention with a signed tombstone.
for h in $(sed -n 's/^      "sha256": "\\([0-9a-f]\\{64\\}\\)",\\{0,1\\}$/\\1/p' manifests/*.json 2>/dev/null | sort -u); do
  if [ -f "blobs/sha256/$(printf '%s' "$h" | cut -c1-2)/$h" ]; then continue; fi
  if [ -f "tombstones/$h.json" ]; then
    k=$(sed -n 's/^  "keyId": "\\([0-9a-f]*\\)",\\{0,1\\}$/\\1/p' "tombstones/$h.json")
    openssl pkeyutl -verify -pubin -inkey "keys/$k.pem" -rawin -in "tombstones/$h.json" -sigfile "tombstones/$h.sig" >/dev/null 2>&1 \\
      || { echo "BAD TOMBSTONE SIGNATURE tombstones/$h.json"; fail=1; }
  else
    echo "MISSING BLOB $h"; fail=1
  fi
done

# 3. Each manifest's ed25519 signature, by the key named in its "signing" field.
for m in manifests/*.json; do
  [ -f "$m" ] || continue
  d=$(sha256sum "$m" | cut -d' ' -f1)
  k=$(sed -n 's/^    "keyId": "\\([0-9a-f]*\\)",\\{0,1\\}$/\\1/p' "$m")
  openssl pkeyutl -verify -pubin -inkey "keys/$k.pem" -rawin -in "$m" -sigfile "signatures/$d.sig" >/dev/null 2>&1 \\
    || { echo "BAD SIGNATURE $m (key $k, signatures/$d.sig)"; fail=1; }
done

# 4. The chain: each manifest's previousDigest is the sha256 of the one before it; the first one's is the
#    anchor named in export.json (the manifest just before this pack's window, which is not included).
expected=$(sed -n 's/^  "previousDigest": //p' export.json | tr -d '",')
next=$(sed -n 's/^  "fromSequence": \\([0-9]*\\),\\{0,1\\}$/\\1/p' export.json)
for m in manifests/*.json; do
  [ -f "$m" ] || continue
  n=$(sed -n 's/^  "sequence": \\([0-9]*\\),\\{0,1\\}$/\\1/p' "$m")
  [ "$(basename "$m" .json | sed 's/^0*//')" = "$n" ] || { echo "MISNAMED $m says it is bundle $n"; fail=1; }
  [ "$n" = "$next" ] || { echo "GAP before $m: expected bundle $next"; fail=1; }
  got=$(sed -n 's/^  "previousDigest": //p' "$m" | tr -d '",')
  [ "$got" = "$expected" ] || { echo "CHAIN BROKEN at $m: previousDigest $got, expected $expected"; fail=1; }
  expected=$(sha256sum "$m" | cut -d' ' -f1)
  next=$((n + 1))
done

if [ "$fail" -eq 0 ]; then echo "OK: blobs, signatures and chain verified"; else echo "FAILED"; fi
exit "$fail"
`;

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

/** VERIFY.md: how to check the pack without trusting evidence-hub, then with it. */
export function verifyDoc(model: PackModel): string {
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
every evidence blob they reference, the store's public keys, a report (\`report/index.html\`), \`index.json\`
and OSCAL assessment results (\`oscal/assessment-results.json\`). Generated ${model.generatedAt}.

The folder is laid out like an evidence store (see the bundle format documentation of evidence-hub):

| path | holds |
|---|---|
| \`manifests/<12-digit sequence>.json\` | one manifest per bundle, byte for byte as sealed |
| \`signatures/<sha256 of the manifest file>.sig\` | raw 64-byte ed25519 signature over the manifest's bytes |
| \`blobs/sha256/<first 2 hex>/<sha256>\` | evidence bytes, named by their sha256 |
| \`keys/<keyId>.pem\`, \`keys/<keyId>.json\` | public keys; the \`.json\` gives each key's validity period |
| \`tombstones/<sha256>.json\`, \`.sig\` | signed records of blobs deleted by retention (only if any) |
| \`store.json\`, \`export.json\` | store marker; the segment this pack holds and its anchor |
| \`SHA256SUMS\` | sha256 of every other file, for checking the transfer (not a signature) |

## The chain segment and its anchor

${anchorText(model)}

## With standard tools only

Transfer check (all files, including the report; this is not proof of origin):

\`\`\`sh
sha256sum -c --quiet SHA256SUMS
\`\`\`

Each blob matches its name:

\`\`\`sh
for f in blobs/sha256/*/*; do echo "$(basename "$f")  $f"; done | sha256sum -c --quiet
\`\`\`

Each manifest's signature, with the key named in its \`"signing"\` field:

\`\`\`sh
m=manifests/<sequence>.json
openssl pkeyutl -verify -pubin -inkey keys/<keyId>.pem -rawin -in "$m" -sigfile "signatures/$(sha256sum "$m" | cut -d' ' -f1).sig"
\`\`\`

${example}

The chain: the \`previousDigest\` of manifest N equals \`sha256sum\` of manifest N-1, and that of the first
manifest equals the anchor in \`export.json\`. The signing time (\`finishedAt\`) must fall inside the key's
\`validFrom\`..\`validUntil\` in \`keys/<keyId>.json\`.

All of it in one script (POSIX sh, sha256sum, openssl 3, sed, cut, find); run it inside the extracted folder:

\`\`\`sh
${verifyScript.trimEnd()}
\`\`\`

## With evidence-hub

\`\`\`sh
evidence-hub verify <extracted folder>
\`\`\`

It checks the same, plus every bundle's Merkle root and the keys' validity periods, and reports the segment
it checked (\`--json\` prints \`segment: {fromSequence, previousDigest}\`).
`;
}
