/** `ipa-kit env`: the device report, and the compute engine with ONNX Runtime's execution providers. */
import { Command, bool, parseArgs, str } from '../core/args';
import { formatDeviceReport, initBackend } from '../gpu/backend';
import { ORT_PROVIDERS, OrtProvider, ortStatus, probeProvider } from '../gpu/onnx';
import { resolveEngine } from '../model/engine';

export const envCommand: Command = {
  summary: 'print the device report (backend, versions, CPU/GPU, skipped backends) and the engine with its providers',
  help: 'usage: ipa-kit env [--backend auto|tensorflow|webgpu|wasm|cpu] [--engine auto|tfjs|onnx|onnx:webgpu|onnx:cuda] [--json]',
  async run(argv) {
    const args = parseArgs(argv, ['backend', 'engine', 'json'], ['json']);
    const report = await initBackend({ backend: str(args, 'backend') });
    const engine = resolveEngine(null, str(args, 'engine'));
    // Each provider is probed in a child process: its native messages stay out of this output.
    const providers = Object.fromEntries(ORT_PROVIDERS.map((p) => [p, probeProvider(p)])) as Record<OrtProvider, string | null>;
    const ort = ortStatus();
    if (bool(args, 'json')) {
      process.stdout.write(`${JSON.stringify({ ...report, engine, onnxRuntime: { version: ort.version, providers } }, null, 2)}\n`);
      return 0;
    }
    const lines = [formatDeviceReport(report)];
    const pad = (s: string) => s.padEnd(19);
    lines.push(`${pad('engine')} ${engine.engine}${engine.provider ? ` on ONNX Runtime's ${engine.provider} provider` : ''} (chosen by ${engine.chosenBy})${engine.reason ? `: ${engine.reason}` : ''}`);
    lines.push(`${pad('onnx runtime')} ${ort.ok ? ort.version : `does not load (${ort.reason})`}; providers that run here: ${ORT_PROVIDERS.filter((p) => !providers[p]).join(', ') || 'none'}`);
    for (const p of ORT_PROVIDERS) if (providers[p]) lines.push(`${pad(`skipped onnx:${p}`)} ${providers[p]}`);
    process.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  },
};
