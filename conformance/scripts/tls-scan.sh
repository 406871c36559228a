#!/usr/bin/env bash
# Scans a RUNNING renkei HTTPS listener and checks what it offers against the
# hub's TLS policy (BCP 195 / RFC 9325, IHE ATNA "STX: TLS 1.2 floor"):
#   - SSLv2, SSLv3, TLS 1.0 and TLS 1.1 refused; TLS 1.2 and TLS 1.3 offered
#   - TLS 1.3: the three AEAD suites; TLS 1.2: ECDHE with AES-GCM or
#     ChaCha20-Poly1305 only (no CBC, no RSA key transport, no DHE, no RC4/3DES)
#   - no compression, no insecure renegotiation, no session resumption,
#     not vulnerable to Heartbleed, CCS, ROBOT, POODLE, SWEET32, FREAK, DROWN,
#     LOGJAM, BEAST, LUCKY13
# It starts nothing: run the hub first (e.g. `renkei serve --data-dir /tmp/x`).
#
# Usage: conformance/scripts/tls-scan.sh HOST:PORT [CA_PEM]
#   CA_PEM: the operator CA (DATA_DIR/pki/ca.pem), so the chain of trust of the
#   hub's certificate can be checked. Tools (Debian packages): sslscan and
#   openssl are required; testssl.sh (package `testssl.sh`) runs too unless
#   TESTSSL=0 (about 40 s). Raw outputs go to $REPORT_DIR (default: temp dir).
# Exit status: 0 policy met, 1 a finding, 2 usage error or tool missing.
#
# The scanners carry no client certificate: their handshakes stop at the
# hub's certificate request, which is enough to see protocols and suites
# (and the hub counts them as failed handshakes, reason no_certificate).
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 ]]; then
    sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
fi
target=$1
ca=${2:-}
report_dir=${REPORT_DIR:-$(mktemp -d -t renkei-tls-scan.XXXXXX)}
mkdir -p "$report_dir"
for tool in sslscan openssl; do
    if ! command -v "$tool" >/dev/null; then
        echo "$tool is not installed (apt-get install $tool)" >&2
        exit 2
    fi
done

findings=0
fail() { echo "FAIL: $*"; findings=$((findings + 1)); }
pass() { echo "ok:   $*"; }
note() { echo "note: $*"; }

# 1. sslscan: old protocols, TLS 1.3 suites, renegotiation, Heartbleed.
scan="$report_dir/sslscan.txt"
sslscan --no-colour "$target" >"$scan" 2>&1 || true
if ! grep -q "Accepted" "$scan"; then
    echo "sslscan could not negotiate anything with $target; is the hub running? See $scan" >&2
    exit 2
fi
for p in SSLv2 SSLv3 "TLSv1.0" "TLSv1.1"; do
    if grep -Eq "^${p}[[:space:]]+enabled" "$scan"; then fail "$p is enabled"; else pass "$p refused"; fi
done
if grep -Eq "^TLSv1.3[[:space:]]+enabled" "$scan"; then pass "TLSv1.3 offered"; else fail "TLSv1.3 is not offered"; fi
while read -r _status proto _bits _unit cipher _rest; do
    case "$proto:$cipher" in
        TLSv1.3:TLS_AES_256_GCM_SHA384 | TLSv1.3:TLS_AES_128_GCM_SHA256 | TLSv1.3:TLS_CHACHA20_POLY1305_SHA256)
            pass "$proto $cipher" ;;
        TLSv1.2:*) ;; # checked with openssl below
        *) fail "$proto $cipher accepted" ;;
    esac
done < <(grep -E "^(Accepted|Preferred)[[:space:]]" "$scan")
if grep -q "Insecure session renegotiation supported" "$scan"; then
    fail "insecure renegotiation supported"
else
    pass "no insecure renegotiation"
fi
if grep -q " vulnerable to heartbleed" "$scan" && ! grep -q "not vulnerable to heartbleed" "$scan"; then
    fail "vulnerable to Heartbleed"
else
    pass "not vulnerable to Heartbleed"
fi

# 2. TLS 1.2 with openssl. sslscan 2.0.7 probes TLS 1.2 without the
# extended_master_secret extension, which the hub requires (RFC 7627, BCP 195),
# so it wrongly reports TLS 1.2 disabled; OpenSSL sends the extension.
host=${target%:*}
try12() {
    echo | timeout 10 openssl s_client -connect "$target" -servername "$host" -tls1_2 \
        -cipher "$1@SECLEVEL=0" 2>/dev/null | sed -n 's/^New, TLSv1.2, Cipher is \(.*\)$/\1/p' || true
}
negotiated=$(try12 DEFAULT)
if [[ -n "$negotiated" && "$negotiated" != "(NONE)" ]]; then pass "TLSv1.2 offered ($negotiated)"; else fail "TLSv1.2 is not offered"; fi
accepted12=0
for cipher in $(openssl ciphers -tls1_2 'ALL:COMPLEMENTOFALL:@SECLEVEL=0' | tr ':' ' '); do
    [[ "$cipher" == TLS_* ]] && continue # TLS 1.3 suites
    got=$(try12 "$cipher")
    [[ -z "$got" || "$got" == "(NONE)" ]] && continue
    accepted12=$((accepted12 + 1))
    if [[ "$got" =~ ^ECDHE-(ECDSA|RSA)-(AES(128|256)-GCM-SHA(256|384)|CHACHA20-POLY1305)$ ]]; then
        pass "TLSv1.2 $got"
    else
        fail "TLSv1.2 $got is not a BCP 195 suite"
    fi
done
echo "$accepted12 TLS 1.2 suites accepted" >"$report_dir/openssl-tls12.txt"
for old in tls1 tls1_1; do
    if echo | timeout 10 openssl s_client -connect "$target" -"$old" -cipher 'ALL@SECLEVEL=0' 2>/dev/null |
        grep -q "^New, TLSv1"; then
        fail "openssl negotiated $old"
    fi
done

# 3. testssl.sh: server defaults, certificate, vulnerabilities.
# Accepted by design (see README "Operating the network"):
#   cert_revocation  no CRL/OCSP URI in the hub's certificate: a closed network
#                    whose trust anchor is the operator CA; a compromised hub key
#                    is answered by `renkei certs server` (reloaded live)
#   pre_128cipher    testssl's >128-cipher probe cannot finish a handshake that
#                    requires a client certificate
accepted_ids="cert_revocation pre_128cipher"
if [[ -z "$ca" ]]; then accepted_ids="$accepted_ids cert_chain_of_trust"; fi
if [[ "${TESTSSL:-1}" != 0 ]] && command -v testssl >/dev/null; then
    json="$report_dir/testssl.json"
    rm -f "$json"
    extra=()
    if [[ -n "$ca" ]]; then extra=(--add-ca "$ca"); fi
    testssl --quiet --color 0 --warnings off --sneaky "${extra[@]}" -p -e -U -S \
        --jsonfile "$json" "$target" >"$report_dir/testssl.txt" 2>&1 || true
    if [[ -s "$json" ]]; then
        # One line per finding: severity<TAB>id<TAB>text.
        python3 - "$json" >"$report_dir/testssl-findings.tsv" <<'PY'
import json, sys
for f in json.load(open(sys.argv[1])):
    print(f"{f.get('severity','')}\t{f.get('id','')}\t{f.get('finding','')}")
PY
        while IFS=$'\t' read -r severity id finding; do
            case "$severity" in
                HIGH | CRITICAL)
                    if [[ " $accepted_ids " == *" $id "* ]]; then
                        note "testssl $severity $id: $finding (accepted by design)"
                    else
                        fail "testssl $severity $id: $finding"
                    fi
                    ;;
                MEDIUM | LOW | WARN) note "testssl $severity $id: $finding" ;;
            esac
        done <"$report_dir/testssl-findings.tsv"
        pass "testssl.sh ran ($(grep -c . "$report_dir/testssl-findings.tsv") results)"
    else
        fail "testssl.sh produced no JSON; see $report_dir/testssl.txt"
    fi
fi

echo "reports: $report_dir"
if [[ $findings -eq 0 ]]; then
    echo "VERDICT: PASS ($target meets the TLS policy)"
else
    echo "VERDICT: FAIL ($findings finding(s))"
    exit 1
fi
