#!/usr/bin/env bash
# Regenerates the class-data training run's throw-away PKI in this directory (see README.md): an EC P-256
# root CA and a code-signing leaf under it, valid for 100 years from the day they are made (openssl).
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/x509.cnf" <<'CNF'
[ca]
basicConstraints = critical,CA:true
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[signer]
basicConstraints = critical,CA:false
keyUsage = critical,digitalSignature
extendedKeyUsage = codeSigning
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
CNF
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/ca.key"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out signer.key
openssl req -new -key "$tmp/ca.key" -subj "/CN=Veripack CDS Training Root" -out "$tmp/ca.csr"
openssl x509 -req -in "$tmp/ca.csr" -signkey "$tmp/ca.key" -days 36500 \
    -extfile "$tmp/x509.cnf" -extensions ca -out ca.pem
openssl req -new -key signer.key -subj "/CN=Veripack CDS Training Signer" -out "$tmp/signer.csr"
openssl x509 -req -in "$tmp/signer.csr" -CA ca.pem -CAkey "$tmp/ca.key" -set_serial 0x$(openssl rand -hex 8) \
    -days 36500 -extfile "$tmp/x509.cnf" -extensions signer -out signer.pem
