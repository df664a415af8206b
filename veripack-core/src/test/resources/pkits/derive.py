#!/usr/bin/env python3
"""Derives this directory from its two public sources (see README.md); not run by the build.

usage: derive.py PKITS_DATA_DIR PKITS_TESTCASES_INL_H
  PKITS_DATA_DIR          x509/PKITS_data of Debian's python3-cryptography-vectors 38.0.4-1
  PKITS_TESTCASES_INL_H   BoringSSL pki/testdata/nist-pkits/pkits_testcases-inl.h

Writes tests.tsv (one line per PKITS test or subpart) and copies the certificates, CRLs and end-entity
PKCS#12 files the tests name.
"""
import os
import re
import shutil
import sys

data, header = sys.argv[1], sys.argv[2]
src = open(header).read()
rows, cas, crls, ees = [], set(), set(), set()
for m in re.finditer(r'\n// (4\.\d+\.\d+) ([^\n]*)\nWRAPPED_TYPED_TEST_P\(\s*\w+,\s*\w+\) \{', src):
    test_id, title = m.group(1), m.group(2)
    body = src[m.end():src.index('\n}\n', m.end())]
    path = re.findall(r'"(\w+)"', re.search(r'certs\[\] = \{(.*?)\};', body, re.S).group(1))
    crl_names = re.findall(r'"(\w+)"', re.search(r'crls\[\] = \{(.*?)\};', body, re.S).group(1))
    number = re.search(r'info.test_number = "([\d.]+)"', body).group(1)
    assert number == test_id or number.startswith(test_id + '.'), (number, test_id)
    assert path[0] == 'TrustAnchorRootCertificate', path
    valid = re.search(r'should_validate = (\w+);', body).group(1) == 'true'
    settings = dict(re.findall(r'info\.Set(\w+)\("?([^")]*)"?\);', body))
    sub = re.search(r'\(Subpart (\d+)\)', title)
    rows.append([test_id, sub.group(1) if sub else '', 'valid' if valid else 'invalid',
                 ','.join(path[1:-1]), path[-1], ','.join(crl_names),
                 settings.get('InitialPolicySet', ''),
                 settings.get('InitialExplicitPolicy', ''),
                 settings.get('InitialPolicyMappingInhibit', ''),
                 settings.get('InitialInhibitAnyPolicy', ''),
                 settings.get('UserConstrainedPolicySet', '-'),
                 re.sub(r' \(Subpart \d+\)', '', title)])
    cas.update(path[:-1])
    crls.update(crl_names)
    ees.add(path[-1])
with open('tests.tsv', 'w') as out:
    out.write('# PKITS section 4 tests: id, subpart, expected, CA certificates below the anchor (anchor side first),'
              ' end entity, CRLs, initial-policy-set, initial-explicit-policy, initial-policy-mapping-inhibit,'
              ' initial-any-policy-inhibit, user-constrained-policy-set ("-": not stated), title\n')
    for r in rows:
        out.write('\t'.join(r) + '\n')
for kind, names, ext in (('certs', cas, '.crt'), ('crls', crls, '.crl'), ('pkcs12', ees, '.p12')):
    os.makedirs(kind, exist_ok=True)
    for n in sorted(names):
        shutil.copyfile(os.path.join(data, kind, n + ext), os.path.join(kind, n + ext))
print(len(rows), 'cases,', len(set(r[0] for r in rows)), 'tests;', len(cas), 'CA certs,', len(crls), 'CRLs,', len(ees), 'end entities')
