// A TUF repository written by tuf-js's own models (@tufjs/models, the version tuf-js pins), keys made by node's
// crypto: root and snapshot Ed25519, targets and timestamp ECDSA P-256; consistent snapshots; one target.
// Usage: node write-repo.js REPO_DIR PACKAGE TARGET_NAME CUSTOM_JSON EXPIRES
// Writes REPO_DIR/metadata/{1.root,1.targets,1.snapshot,timestamp}.json and REPO_DIR/targets/<sha256>.<TARGET_NAME>.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { Metadata, Root, Targets, Snapshot, Timestamp, Key, Signature, MetaFile, TargetFile } = require('@tufjs/models');
const { canonicalize } = require('@tufjs/canonical-json');

const [repoDir, packageFile, targetName, customJson, expires] = process.argv.slice(2);

function newKey(type) {
  if (type === 'ed25519') {
    const { publicKey, privateKey } = crypto.generateKeyPairSync('ed25519');
    const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('hex');
    return keyOf({ keytype: 'ed25519', scheme: 'ed25519', keyval: { public: raw } }, privateKey, null);
  }
  const { publicKey, privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return keyOf({ keytype: 'ecdsa', scheme: 'ecdsa-sha2-nistp256',
    keyval: { public: publicKey.export({ format: 'pem', type: 'spki' }) } }, privateKey, 'sha256');
}

function keyOf(json, privateKey, hash) {
  const keyID = crypto.createHash('sha256').update(canonicalize(json)).digest('hex');
  return { key: Key.fromJSON(keyID, json),
    signer: (data) => new Signature({ keyID, sig: crypto.sign(hash, data, privateKey).toString('hex') }) };
}

const digest = (alg, bytes) => crypto.createHash(alg).update(bytes).digest('hex');
const bytesOf = (md) => Buffer.from(JSON.stringify(md.toJSON()));
const write = (name, bytes) => fs.writeFileSync(path.join(repoDir, 'metadata', name), bytes);
fs.mkdirSync(path.join(repoDir, 'metadata'), { recursive: true });
fs.mkdirSync(path.join(repoDir, 'targets'), { recursive: true });

const keys = { root: newKey('ed25519'), targets: newKey('ecdsa'), snapshot: newKey('ed25519'), timestamp: newKey('ecdsa') };
const root = new Metadata(new Root({ version: 1, expires, consistentSnapshot: true }));
for (const [role, k] of Object.entries(keys)) {
  root.signed.addKey(k.key, role);
}
root.sign(keys.root.signer);
write('1.root.json', bytesOf(root));

const pkg = fs.readFileSync(packageFile);
const sha256 = digest('sha256', pkg);
const targets = new Metadata(new Targets({ version: 1, expires }));
targets.signed.addTarget(new TargetFile({ path: targetName, length: pkg.length,
  hashes: { sha256, sha512: digest('sha512', pkg) }, unrecognizedFields: { custom: JSON.parse(customJson) } }));
targets.sign(keys.targets.signer);
const targetsBytes = bytesOf(targets);
write('1.targets.json', targetsBytes);
fs.writeFileSync(path.join(repoDir, 'targets', `${sha256}.${targetName}`), pkg);

const snapshot = new Metadata(new Snapshot({ version: 1, expires, meta: { 'targets.json':
  new MetaFile({ version: 1, length: targetsBytes.length, hashes: { sha256: digest('sha256', targetsBytes) } }) } }));
snapshot.sign(keys.snapshot.signer);
const snapshotBytes = bytesOf(snapshot);
write('1.snapshot.json', snapshotBytes);

const timestamp = new Metadata(new Timestamp({ version: 1, expires, snapshotMeta:
  new MetaFile({ version: 1, length: snapshotBytes.length, hashes: { sha256: digest('sha256', snapshotBytes) } }) }));
timestamp.sign(keys.timestamp.signer);
write('timestamp.json', bytesOf(timestamp));
console.log(sha256);
