#!/usr/bin/env node
'use strict';
// The CLI is compiled by `npm ci` (the `prepare` script). Running from a checkout without a build
// gives a clear instruction instead of a module-not-found stack trace.
const path = require('node:path');
const fs = require('node:fs');
const entry = path.join(__dirname, '..', 'dist', 'cli', 'main.js');
if (!fs.existsSync(entry)) {
  process.stderr.write(
    'evidence-hub: not built yet. Run `npm ci` (or `npm run build`) in ' + path.dirname(__dirname) + '\n',
  );
  process.exit(2);
}
require(entry)
  .main(process.argv.slice(2))
  .then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`evidence-hub: ${err && err.stack ? err.stack : err}\n`);
      process.exitCode = 1;
    },
  );
