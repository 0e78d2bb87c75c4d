#!/usr/bin/env node
// Entry point of the `ipa-kit` command: runs the compiled CLI in dist/ (build it with `npm run build`).
const path = require('node:path');
let cli;
try {
  cli = require(path.join(__dirname, '..', 'dist', 'cli.js'));
} catch (err) {
  if (err && err.code === 'MODULE_NOT_FOUND' && String(err.message).includes('dist')) {
    process.stderr.write('ipa-kit: the kit is not built yet: run `npm run build` first\n');
    process.exit(2);
  }
  throw err;
}
cli.main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`ipa-kit: ${err && err.message ? err.message : err}\n`);
    process.exitCode = 1;
  },
);
