#!/bin/sh
# verify-pack: checks an extracted evidence-hub audit pack with POSIX sh, sed, awk, grep, sort, tail, cut,
# wc, sha256sum and openssl 3 only. Run it inside the extracted folder:
#
#   sh verify.sh sha256:<trusted key fingerprint> [tsa-ca.pem]
#
# The fingerprint must come from outside the pack (see VERIFY.md). Prints every problem, prefixed with its
# class (the same names `evidence-hub verify --json` uses); exits 0 when all checks pass, 1 when any fails,
# 2 on bad usage.
set -u
LC_ALL=C
export LC_ALL

if [ $# -lt 1 ] || [ -z "$1" ]; then
  cat >&2 <<'EOF'
usage: sh verify.sh sha256:<trusted key fingerprint> [tsa-ca.pem]

The trusted fingerprint is NOT in this pack, on purpose: anyone who could alter the pack could also alter a
fingerprint written inside it. Get it out of band, from one of:
  - the organisation's evidence-hub config: signing.trustedKeys;
  - the fingerprint printed in the audit report the organisation signed off;
  - the key holder, in person or over a channel you already trust (`evidence-hub keys show` prints it).
EOF
  exit 2
fi
trust=$(printf '%s' "$1" | sed 's/^sha256://' | tr 'ABCDEF' 'abcdef')
if ! printf '%s\n' "$trust" | grep -qx '[0-9a-f]\{64\}'; then
  echo "usage: $1 is not a fingerprint (sha256:<64 hex digits>)" >&2
  exit 2
fi
tsaca=${2:-}
fail=0
problem() {
  echo "$*"
  fail=1
}

# A JSON flattener: one line per scalar, "<path>=<value>", e.g. ".signing.keyId=ab12..." or
# ".artifacts[3].sha256=...". It tokenizes, so layout does not matter (pretty or all on one line). String
# values keep their escapes; the values read here are hex digits, numbers and timestamps.
jflat() {
  awk '
    { buf = buf $0 "\n" }
    function path(   p, d) {
      p = ""
      for (d = 1; d <= depth; d++) p = p (kind[d] == "o" ? "." key[d] : "[" idx[d] "]")
      return p
    }
    END {
      n = length(buf); i = 1; depth = 0
      while (i <= n) {
        c = substr(buf, i, 1)
        if (c == "{") { depth++; kind[depth] = "o"; key[depth] = ""; wantkey[depth] = 1; i++ }
        else if (c == "[") { depth++; kind[depth] = "a"; idx[depth] = 0; i++ }
        else if (c == "}" || c == "]") { depth--; i++ }
        else if (c == ",") { if (kind[depth] == "a") idx[depth]++; else wantkey[depth] = 1; i++ }
        else if (c == ":") { wantkey[depth] = 0; i++ }
        else if (c == "\"") {
          s = ""; i++
          while (i <= n) {
            d = substr(buf, i, 1)
            if (d == "\\") { s = s d substr(buf, i + 1, 1); i += 2; continue }
            if (d == "\"") break
            s = s d; i++
          }
          i++
          if (kind[depth] == "o" && wantkey[depth]) key[depth] = s
          else print path() "=" s
        }
        else if (c == " " || c == "\t" || c == "\n" || c == "\r") i++
        else {
          j = i
          while (j <= n && index(",}] \t\n\r", substr(buf, j, 1)) == 0) j++
          print path() "=" substr(buf, i, j - i); i = j
        }
      }
    }' "$1"
}
# jval "<flattened>" .path: the value at that path (empty when absent; the last one when a key repeats, as in
# JavaScript's JSON.parse).
jval() {
  printf '%s\n' "$1" | awk -v k="$2" 'index($0, k "=") == 1 { v = substr($0, length(k) + 2); found = 1 }
    END { if (found) print v }'
}
# within LOW TIME HIGH SKEW_SECONDS: LOW - SKEW <= TIME <= HIGH (HIGH empty: no end). ISO 8601 UTC.
within() {
  awk -v lo="$1" -v t="$2" -v hi="$3" -v skew="$4" '
    function epoch(s,   y, m, d) {
      y = substr(s, 1, 4) + 0; m = substr(s, 6, 2) + 0; d = substr(s, 9, 2) + 0
      if (m <= 2) { y--; m += 12 }
      return (365 * y + int(y / 4) - int(y / 100) + int(y / 400) + int((153 * (m - 3) + 2) / 5) + d) * 86400 \
        + substr(s, 12, 2) * 3600 + substr(s, 15, 2) * 60 + substr(s, 18) * 1
    }
    BEGIN { ok = epoch(t) >= epoch(lo) - skew && (hi == "" || epoch(t) <= epoch(hi)); exit !ok }'
}
# The fingerprint of a public key file: sha256 of the raw 32-byte ed25519 key (the end of its DER form).
fp_of() { openssl pkey -pubin -in "$1" -outform DER 2>/dev/null | tail -c 32 | sha256sum | cut -d' ' -f1; }
# Its key id: the first 16 hex digits of the sha256 of the whole DER (SubjectPublicKeyInfo).
keyid_of() { openssl pkey -pubin -in "$1" -outform DER 2>/dev/null | sha256sum | cut -c1-16; }
is_hex() { printf '%s\n' "$1" | grep -qx '[0-9a-f]\{1,64\}'; }
is_trusted() { case " $trusted " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
sigok() { openssl pkeyutl -verify -pubin -inkey "$1" -rawin -in "$2" -sigfile "$3" >/dev/null 2>&1; }

# 0. Transfer check (not proof of origin: anyone can rebuild SHA256SUMS; the signatures below are the proof).
if [ -f SHA256SUMS ]; then sha256sum -c --quiet SHA256SUMS || problem "transfer: SHA256SUMS does not match"; fi

# 1. The key files: each key id must belong to its key; the pinned fingerprint picks the trusted key.
trusted=''
for pem in keys/*.pem; do
  [ -f "$pem" ] || continue
  id=${pem#keys/}
  id=${id%.pem}
  real=$(keyid_of "$pem")
  [ "$real" = "$id" ] || { problem "key-id-mismatch: $pem holds key $real, not $id"; continue; }
  if [ "$(fp_of "$pem")" = "$trust" ]; then
    trusted="$trusted $id"
    echo "pinned: key $id has the trusted fingerprint sha256:$trust"
  fi
done
[ -n "$trusted" ] || problem "untrusted-key: no key in keys/ has the fingerprint sha256:$trust (keys replaced, or the wrong fingerprint)"

# 2. Key transition statements: a trusted key endorses the next one (keys/transitions/<new keyId>.json, signed
#    by the old key in .sig). Repeated until nothing changes, so a chain of rotations is followed.
changed=1
while [ "$changed" -eq 1 ]; do
  changed=0
  for t in keys/transitions/*.json; do
    [ -f "$t" ] || continue
    new=${t##*/}
    new=${new%.json}
    is_hex "$new" || continue
    is_trusted "$new" && continue
    tf=$(jflat "$t")
    old=$(jval "$tf" .from.keyId)
    is_hex "$old" && is_trusted "$old" || continue
    [ "$(jval "$tf" .to.keyId)" = "$new" ] || continue
    sigok "keys/$old.pem" "$t" "${t%.json}.sig" || continue
    [ -f "keys/$new.pem" ] && [ "$(fp_of "keys/$new.pem")" = "$(jval "$tf" .to.fingerprint)" ] || continue
    vf=$(jval "$tf" .validFrom)
    # The signed statement bounds both keys: the old one ends, the new one starts, at validFrom.
    eval "from_$new=\$vf"
    eval "until_$old=\$vf"
    trusted="$trusted $new"
    changed=1
    echo "endorsed: key $new by key $old from $vf ($t)"
  done
done
for t in keys/transitions/*.json; do
  [ -f "$t" ] || continue
  new=${t##*/}
  new=${new%.json}
  is_trusted "$new" && continue
  old=$(jval "$(jflat "$t")" .from.keyId)
  if is_hex "$old" && is_trusted "$old"; then
    problem "transition-invalid: $t: not validly signed by key $old, or keys/$new.pem is not the endorsed key"
  fi
done

# 3. Validity periods: keys/<id>.json's validFrom/validUntil, narrowed by the signed transitions.
#    valid KEYID TIME [SKEW]: TIME inside the key's period.
valid() {
  vf=$(jval "$(jflat "keys/$1.json" 2>/dev/null)" .validFrom)
  vu=$(jval "$(jflat "keys/$1.json" 2>/dev/null)" .validUntil)
  eval "tf_=\${from_$1:-}"
  eval "tu_=\${until_$1:-}"
  [ -n "$tf_" ] && vf=$tf_
  if [ -n "$tu_" ] && { [ -z "$vu" ] || within "$tu_" "$vu" "" 0; }; then vu=$tu_; fi
  [ -n "$vf" ] && within "$vf" "$2" "$vu" "${3:-0}"
}

# 4. The signed export.json: by a trusted key; its window and sequences match the manifests.
ef=$(jflat export.json)
ekey=$(jval "$ef" .keyId)
efrom=$(jval "$ef" .fromSequence)
eto=$(jval "$ef" .toSequence)
ehead=$(jval "$ef" .headDigest)
eprev=$(jval "$ef" .previousDigest)
estore=$(jval "$ef" .storeId)
wfrom=$(jval "$ef" .window.from)
wto=$(jval "$ef" .window.to)
isnum() { printf '%s\n' "$1" | grep -qx '[0-9]\{1,12\}'; }
isnum "$efrom" || { problem "export-altered: export.json has no valid fromSequence"; efrom=1; }
isnum "$eto" || { problem "export-altered: export.json has no valid toSequence"; eto=0; }
if [ ! -f export.json.sig ]; then
  problem "export-altered: export.json.sig is missing"
elif ! is_hex "$ekey" || ! is_trusted "$ekey"; then
  problem "untrusted-key: export.json is signed by key $ekey, which is not trusted"
elif [ "$(fp_of "keys/$ekey.pem")" != "$(jval "$ef" .fingerprint)" ] || ! sigok "keys/$ekey.pem" export.json export.json.sig; then
  problem "export-altered: export.json.sig does not verify with key $ekey (export.json was changed)"
fi
first=''
last=''
for m in manifests/*.json; do
  [ -f "$m" ] || continue
  n=$(basename "$m" .json | sed 's/^0*//')
  [ -n "$first" ] || first=$n
  last=$n
done
if [ -z "$last" ]; then
  [ "$eto" = "$((efrom - 1))" ] || problem "export-altered: export.json says bundles #$efrom..#$eto, the pack holds none"
  [ "$ehead" = "$eprev" ] || problem "export-altered: export.json head digest $ehead, anchor $eprev"
  last=$eto
else
  [ "$first" = "$efrom" ] || problem "export-altered: export.json says the pack starts at #$efrom, its first manifest is #$first"
  if [ "$last" != "$eto" ]; then
    problem "export-altered: export.json says the pack ends at #$eto, its last manifest is #$last"
  elif [ "$(sha256sum "manifests/$(printf '%012d' "$last").json" | cut -d' ' -f1)" != "$ehead" ]; then
    problem "export-altered: export.json names head digest $ehead for bundle #$last, the manifest differs"
  fi
fi

# 5. Checkpoints: signed by a trusted key, naming this store; none beyond the pack's last bundle (truncated),
#    none with another digest (forked). With a TSA CA file, each RFC 3161 token is checked too.
tsrs=0
for c in checkpoints/*.txt; do
  [ -f "$c" ] || continue
  n=$(basename "$c" .txt | sed 's/^0*//')
  cs=$(sed -n 's/^sequence \([1-9][0-9]\{0,11\}\)$/\1/p' "$c")
  chead=$(sed -n 's/^head \([0-9a-f]\{64\}\)$/\1/p' "$c")
  cstore=$(sed -n 's/^store \([0-9a-f]\{64\}\)$/\1/p' "$c")
  ctime=$(sed -n 's/^time \(.*\)$/\1/p' "$c")
  ckey=$(sed -n 's/^key \([0-9a-f]\{16\}\) sha256:[0-9a-f]\{64\}$/\1/p' "$c")
  cfp=$(sed -n 's/^key [0-9a-f]\{16\} sha256:\([0-9a-f]\{64\}\)$/\1/p' "$c")
  if [ "$(sed -n 1p "$c")" != "evidence-hub checkpoint v1" ] || [ "$(wc -l <"$c" | tr -d ' ')" != 6 ] || [ "$cs" != "$n" ]; then
    problem "checkpoint-invalid: $c is not a well-formed checkpoint of bundle #$n"
    continue
  fi
  if ! is_trusted "$ckey"; then
    problem "untrusted-key: $c is signed by key $ckey, which is not trusted"
    continue
  fi
  if [ "$(fp_of "keys/$ckey.pem")" != "$cfp" ] || ! sigok "keys/$ckey.pem" "$c" "${c%.txt}.sig"; then
    problem "checkpoint-invalid: $c: the signature does not verify with key $ckey"
    continue
  fi
  valid "$ckey" "$ctime" 300 || problem "checkpoint-invalid: $c: key $ckey was not valid at $ctime"
  [ "$cstore" = "$estore" ] || problem "checkpoint-invalid: $c names store $cstore, export.json $estore"
  if [ "$cs" -gt "$last" ]; then
    problem "truncated: $c: bundle #$cs was checkpointed at $ctime, the pack ends at #$last"
  elif [ -f "manifests/$(printf '%012d' "$cs").json" ]; then
    [ "$(sha256sum "manifests/$(printf '%012d' "$cs").json" | cut -d' ' -f1)" = "$chead" ] \
      || problem "forked: $c: bundle #$cs had digest $chead at $ctime, the manifest here differs"
  fi
  if [ -f "${c%.txt}.tsr" ]; then
    tsrs=$((tsrs + 1))
    if [ -n "$tsaca" ]; then
      openssl ts -verify -data "$c" -in "${c%.txt}.tsr" -CAfile "$tsaca" >/dev/null 2>&1 \
        || problem "timestamp-invalid: ${c%.txt}.tsr does not verify over $c with $tsaca"
    fi
  fi
done
[ "$tsrs" -eq 0 ] || [ -n "$tsaca" ] || echo "note: $tsrs RFC 3161 token(s) not checked: pass the TSA's CA certificate as the second argument"

# 6. The manifests: signature by a trusted key valid at the signing time (finishedAt), inside the signed
#    window, the chain (each previousDigest is the sha256 of the manifest before; the first one's is the
#    anchor in export.json), and every blob they list is here or has a signed tombstone.
expected=$eprev
next=$efrom
refs=''
for m in manifests/*.json; do
  [ -f "$m" ] || continue
  mf=$(jflat "$m")
  n=$(jval "$mf" .sequence)
  k=$(jval "$mf" .signing.keyId)
  at=$(jval "$mf" .finishedAt)
  d=$(sha256sum "$m" | cut -d' ' -f1)
  [ "$(basename "$m" .json | sed 's/^0*//')" = "$n" ] || problem "sequence-mismatch: $m says it is bundle $n"
  [ "$n" = "$next" ] || problem "bundle-missing: before $m: expected bundle $next"
  if ! is_hex "$k" || ! is_trusted "$k"; then
    problem "untrusted-key: $m is signed by key $k, which is not trusted"
  elif ! sigok "keys/$k.pem" "$m" "signatures/$d.sig"; then
    problem "signature-invalid: $m (key $k, signatures/$d.sig)"
  elif ! valid "$k" "$at" 300; then
    problem "key-not-valid: $m was signed at $at, outside key $k's validity period"
  fi
  within "$wfrom" "$at" "$wto" 0 || problem "export-altered: $m was sealed at $at, outside the signed window $wfrom .. $wto"
  got=$(jval "$mf" .previousDigest)
  [ "$got" = "$expected" ] || problem "chain-broken: $m: previousDigest $got, expected $expected"
  expected=$d
  next=$((n + 1))
  refs="$refs
$(printf '%s\n' "$mf" | sed -n 's/^\.artifacts\[[0-9]*\]\.sha256=//p')"
done
for h in $(printf '%s\n' "$refs" | sort -u); do
  [ -f "blobs/sha256/$(printf '%s' "$h" | cut -c1-2)/$h" ] && continue
  if [ -f "tombstones/$h.json" ]; then
    k=$(jval "$(jflat "tombstones/$h.json")" .keyId)
    is_hex "$k" && is_trusted "$k" && sigok "keys/$k.pem" "tombstones/$h.json" "tombstones/$h.sig" \
      || problem "tombstone-invalid: tombstones/$h.json is not signed by a trusted key"
  else
    problem "blob-missing: $h"
  fi
done

# 7. Every blob's bytes hash to its name, and every blob here is one a manifest lists.
for f in blobs/sha256/*/*; do
  [ -f "$f" ] || continue
  h=${f##*/}
  [ "$(sha256sum "$f" | cut -d' ' -f1)" = "$h" ] || problem "blob-altered: $f"
  printf '%s\n' "$refs" | grep -qx "$h" || problem "unreferenced-blob: $f is listed by no manifest in the pack"
done

if [ "$fail" -eq 0 ]; then
  echo "OK: keys, export.json, checkpoints, signatures, chain and blobs verified against sha256:$trust"
else
  echo "FAILED"
fi
exit "$fail"
