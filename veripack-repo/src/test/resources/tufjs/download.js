// Independent TUF client: tuf-js (version pinned in TufJsInteropTest) downloads one target from a repository
// directory, served over HTTP on 127.0.0.1 by this script. Usage: node download.js REPO_DIR TRUSTED_ROOT TARGET OUT_DIR
// Exit 0 and prints the downloaded file's path; exit 1 with tuf-js's error class and message otherwise.
'use strict';
const http = require('http');
const fs = require('fs');
const path = require('path');
const { Updater } = require('tuf-js');

const [repoDir, trustedRoot, targetName, outDir] = process.argv.slice(2);
const server = http.createServer((req, res) => {
  const rel = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  const file = path.join(repoDir, path.normalize(rel));
  if (!file.startsWith(path.resolve(repoDir)) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
    res.writeHead(404); res.end(); return;
  }
  res.writeHead(200); fs.createReadStream(file).pipe(res);
});

server.listen(0, '127.0.0.1', async () => {
  const base = `http://127.0.0.1:${server.address().port}`;
  const metadataDir = fs.mkdtempSync(path.join(outDir, 'tufjs-metadata-'));
  fs.copyFileSync(trustedRoot, path.join(metadataDir, 'root.json'));
  let code = 0;
  try {
    const updater = new Updater({ metadataDir, metadataBaseUrl: `${base}/metadata`,
      targetDir: outDir, targetBaseUrl: `${base}/targets`, config: { fetchRetries: 0 } });
    await updater.refresh();
    const info = await updater.getTargetInfo(targetName);
    if (!info) { throw new Error(`no target ${targetName}`); }
    const file = await updater.downloadTarget(info, path.join(outDir, targetName));
    console.log(file);
  } catch (e) {
    console.error(`${e.constructor.name}: ${e.message}`);
    code = 1;
  }
  server.close();
  process.exit(code);
});
