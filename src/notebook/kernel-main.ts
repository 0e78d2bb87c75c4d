/**
 * Entry point of the `ipa-kit` kernel (named by its kernelspec): starts this project's own tslab on a Jupyter
 * connection file. Started by the kit's runner it also exits when the runner is gone, so no kernel is orphaned.
 */
import * as fs from 'node:fs';

interface TslabMain {
  startKernel(options: { configPath: string; enableFindLocal: boolean; jsKernel: boolean; globalVersion: string }): void;
}

const configPath = process.argv[2];
if (!configPath || !fs.existsSync(configPath)) {
  process.stderr.write(`ipa-kit kernel: usage: node kernel-main.js CONNECTION_FILE (got ${configPath ?? 'nothing'})\n`);
  process.exit(2);
}
const parent = Number(process.env.IPA_KERNEL_PARENT_PID);
if (Number.isInteger(parent) && parent > 0) {
  setInterval(() => {
    try {
      process.kill(parent, 0);
    } catch {
      process.exit(0);
    }
  }, 1000).unref();
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const tslab = require('tslab/dist/main.js') as TslabMain;
tslab.startKernel({ configPath, enableFindLocal: false, jsKernel: false, globalVersion: '' });
