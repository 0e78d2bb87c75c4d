/**
 * ONNX Runtime as the kit's second engine: a small graph builder that writes ONNX models through the
 * `onnx-proto` package (the protobuf wire format is its job, not ours), and sessions of `onnxruntime-node`,
 * whose CPU library ships inside its npm package. The runtime is loaded lazily: where it does not load, the
 * kit's callers fall back to the tfjs path (`ortStatus` says why).
 *
 * Graphs are built with fixed shapes (one session per batch size): ORT then plans its memory and fuses
 * Conv+Add, MatMul+Add and the like once, and nothing in the graph computes a shape.
 */
import { onnx } from 'onnx-proto';
import type * as Ort from 'onnxruntime-node';

/** Opset of the graphs the kit writes (InstanceNormalization, Resize-free: every op here exists since opset 13). */
export const ONNX_OPSET = 17;

type AttrValue = number | number[] | string | { float: number } | { floats: number[] };

/** A graph under construction: named values, nodes in topological order (the order they are added). */
export class OnnxGraph {
  private readonly nodes: onnx.INodeProto[] = [];
  private readonly inits: onnx.ITensorProto[] = [];
  private readonly inputs: onnx.IValueInfoProto[] = [];
  private readonly outputs: onnx.IValueInfoProto[] = [];
  private counter = 0;

  constructor(readonly name: string) {}

  /** A fresh value name with a readable stem. */
  private fresh(stem: string): string {
    return `${stem}_${this.counter++}`;
  }

  /** A graph input of float32 values with fixed dims. */
  input(name: string, dims: number[]): string {
    this.inputs.push(valueInfo(name, dims));
    return name;
  }

  /** Mark `value` as the graph output `name` (an Identity names it). */
  output(value: string, name: string, dims: number[]): void {
    this.nodes.push({ opType: 'Identity', input: [value], output: [name], name: `out_${name}` });
    this.outputs.push(valueInfo(name, dims));
  }

  /** A float32 constant (weights, scalars); dims [] for a scalar. */
  constant(stem: string, data: Float32Array | number[], dims: number[]): string {
    const n = dims.reduce((a, b) => a * b, 1);
    if (data.length !== n) throw new Error(`OnnxGraph.constant '${stem}': ${data.length} values for dims ${JSON.stringify(dims)}`);
    const f = data instanceof Float32Array ? data : Float32Array.from(data);
    const name = this.fresh(stem);
    this.inits.push({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: new Uint8Array(f.buffer.slice(f.byteOffset, f.byteOffset + f.byteLength)) });
    return name;
  }

  /** An int64 constant vector (shapes, axes, slice bounds). */
  ints(values: number[]): string {
    const name = this.fresh('i64');
    this.inits.push({ name, dims: [values.length], dataType: onnx.TensorProto.DataType.INT64, int64Data: values });
    return name;
  }

  /** Add a node; returns its output names (`outputs` of them). */
  node(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, outputs = 1): string[] {
    const out = Array.from({ length: outputs }, () => this.fresh(opType.toLowerCase()));
    this.nodes.push({ opType, input: inputs, output: out, name: `${opType}_${this.counter}`, attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)) });
    return out;
  }

  /** Add a one-output node; returns the output name. */
  op(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}): string {
    return this.node(opType, inputs, attrs)[0];
  }

  /** The model as ONNX protobuf bytes. */
  encode(): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: 8,
      producerName: 'ipa-kit',
      opsetImport: [{ domain: '', version: ONNX_OPSET }],
      graph: { name: this.name, node: this.nodes, initializer: this.inits, input: this.inputs, output: this.outputs },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

function valueInfo(name: string, dims: number[]): onnx.IValueInfoProto {
  return { name, type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } };
}

function attribute(name: string, v: AttrValue): onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new Error(`ONNX attribute '${name}': ${v} is not an integer (write { float: ${v} })`);
    return { name, type: T.INT, i: v };
  }
  if (typeof v === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: T.INTS, ints: v };
  if ('float' in v) return { name, type: T.FLOAT, f: v.float };
  return { name, type: T.FLOATS, floats: v.floats };
}

/** Whether ONNX Runtime loads here, and why not. */
export interface OrtStatus {
  ok: boolean;
  version: string | null;
  reason: string | null;
}

let ortModule: typeof Ort | null = null;
let ortError: string | null = null;

/** Load onnxruntime-node once (null with `ortStatus().reason` when it cannot load). */
export function loadOrt(): typeof Ort | null {
  if (ortModule || ortError) return ortModule;
  if (process.env.IPA_NO_ORT === '1') {
    ortError = 'IPA_NO_ORT=1';
    return null;
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    ortModule = require('onnxruntime-node') as typeof Ort;
  } catch (err) {
    ortError = (err as Error).message.split('\n')[0];
  }
  return ortModule;
}

/** Whether ONNX Runtime is usable in this process. */
export function ortStatus(): OrtStatus {
  const m = loadOrt();
  return { ok: m !== null, version: m ? m.env.versions.node ?? null : null, reason: ortError };
}

/**
 * ONNX Runtime's execution providers the kit can ask for: 'cpu' (bundled in the npm package, the default), 'webgpu'
 * (bundled; needs a GPU's Vulkan driver on Linux) and 'cuda' (the CUDA 12 provider, an opt-in install: environment.md).
 */
export const ORT_PROVIDERS = ['cpu', 'webgpu', 'cuda'] as const;
export type OrtProvider = (typeof ORT_PROVIDERS)[number];

/**
 * The provider this process's sessions use: the part after 'onnx:' of IPA_ENGINE (`onnx:webgpu`, `onnx:cuda`), else
 * 'cpu'. Read from the environment so that pool workers, which inherit it, use the run's provider too.
 */
export function ortProvider(env: NodeJS.ProcessEnv = process.env): OrtProvider {
  const m = /^onnx:(.+)$/.exec(env.IPA_ENGINE ?? '');
  return m && (ORT_PROVIDERS as readonly string[]).includes(m[1]) ? (m[1] as OrtProvider) : 'cpu';
}

/** What a provider needs, said when it does not run. */
const PROVIDER_NEEDS: Record<OrtProvider, string> = {
  cpu: 'bundled in the npm package',
  webgpu: "bundled; needs a GPU and its Vulkan driver on Linux",
  cuda: 'an opt-in install: ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install, and CUDA 12 with cuDNN 9 (environment.md)',
};

/**
 * Why `provider` cannot run a session here (null when it can), found in a child process, so the native library's
 * messages (Vulkan loader warnings, CUDA library errors) stay out of this process's output: the reason is the last
 * line the runtime gave.
 */
export function probeProvider(provider: OrtProvider): string | null {
  if (provider === 'cpu') return ortStatus().ok ? null : `ONNX Runtime does not load (${ortError})`;
  const script = `
    const ort = require(${JSON.stringify(require.resolve('onnxruntime-node'))});
    const { OnnxGraph } = require(${JSON.stringify(__filename)});
    const g = new OnnxGraph('probe'); g.output(g.op('Relu', [g.input('x', [2])]), 'y', [2]);
    ort.InferenceSession.create(g.encode(), { executionProviders: [${JSON.stringify(provider)}] })
      .then((s) => s.run({ x: new ort.Tensor('float32', Float32Array.from([-1, 2]), [2]) }))
      .then(() => process.exit(0), (e) => { process.stdout.write('PROBE: ' + String(e && e.message || e).split('\\n')[0]); process.exit(3); });`;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60_000 });
  if (r.status === 0) return null;
  const said = /PROBE: (.*)/.exec(r.stdout ?? '')?.[1];
  const why = (said ?? (r.error ? r.error.message : `the probe exited with ${r.status}`)).replace(/^\/\S+:\d+ .*? was false\. /, '').trim();
  return `${why} (${PROVIDER_NEEDS[provider]})`;
}

/** Float32 feeds and fetches by name, with their dims. */
export type OnnxFeeds = Record<string, { data: Float32Array; dims: number[] }>;

/** An ONNX Runtime session on one execution provider (`ortProvider()`: the run's, 'cpu' unless asked). */
export class OnnxSession {
  private constructor(private readonly session: Ort.InferenceSession, private readonly ort: typeof Ort) {}

  /** A session for `model` (ONNX bytes) computing with `threads` intra-op threads. Throws when ORT is missing. */
  static async create(model: Uint8Array, threads = 1, provider: OrtProvider = ortProvider()): Promise<OnnxSession> {
    const ort = loadOrt();
    if (!ort) throw new Error(`ONNX Runtime does not load: ${ortError}`);
    const session = await ort.InferenceSession.create(model, {
      executionProviders: [provider],
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
    });
    return new OnnxSession(session, ort);
  }

  /** Run the graph; returns the outputs' values (copies owned by the caller). */
  async run(feeds: OnnxFeeds): Promise<Record<string, Float32Array>> {
    const inputs: Record<string, Ort.Tensor> = {};
    for (const [k, v] of Object.entries(feeds)) inputs[k] = new this.ort.Tensor('float32', v.data, v.dims);
    const res = await this.session.run(inputs);
    const out: Record<string, Float32Array> = {};
    for (const [k, v] of Object.entries(res)) out[k] = v.data as Float32Array;
    return out;
  }

  /** Free the native session. */
  async release(): Promise<void> {
    await this.session.release();
  }
}
