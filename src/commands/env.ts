/** `ipa-kit env`: the device report. */
import { Command, bool, parseArgs, str } from '../core/args';
import { formatDeviceReport, initBackend } from '../gpu/backend';

export const envCommand: Command = {
  summary: 'print the device report (backend, versions, CPU/GPU, skipped backends)',
  help: 'usage: ipa-kit env [--backend auto|tensorflow|webgpu|wasm|cpu] [--json]',
  async run(argv) {
    const args = parseArgs(argv, ['backend', 'json'], ['json']);
    const report = await initBackend({ backend: str(args, 'backend') });
    process.stdout.write(bool(args, 'json') ? `${JSON.stringify(report, null, 2)}\n` : `${formatDeviceReport(report)}\n`);
    return 0;
  },
};
