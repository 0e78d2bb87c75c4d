/**
 * The kit's own wasm kernels, registered as tfjs kernels on the wasm backend: fused GroupNorm -> FiLM -> SiLU,
 * forward ('KitGroupNormAct') and backward ('KitGroupNormActGrad'), and the channel concatenation of the
 * U-Net's skips with its gradient ('KitConcatChannels', 'KitSplitChannels'), from native/kernels.c (built by
 * native/build.sh; the .wasm is committed, so `npm ci` needs no compiler).
 *
 * The module runs in the tfjs wasm backend's own memory (it imports it): its pointers are the tensors' offsets in
 * that heap, so nothing is copied. It is refused if it carries a data section (instantiating it would write into
 * the heap); the test checks that it uses no stack either. Before it is compiled its SHA-256 is checked against the
 * one recorded beside it (`native/kernels.wasm.sha256`, written by build.sh): a mismatch, or a module that does not
 * load, is a DataError naming the file, never a silent fallback. Off wasm, or with IPA_FUSED=0 /
 * `setFusedKernels(false)` (asked for by name), callers use the composed tfjs ops (./norm.ts), the reference the
 * kernels are tested against.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { kitRoot } from '../core/kit';
import { DataError } from '../core/errors';
import { envFused } from '../core/env';
import { sha256 } from '../core/files';

/** The committed kernel module. */
export function fusedWasmPath(): string {
  return path.join(kitRoot(), 'native', 'kernels.wasm');
}

/** The file that records the module's SHA-256 (`sha256sum` format: `<hex>  kernels.wasm`). */
export function fusedWasmHashPath(): string {
  return `${fusedWasmPath()}.sha256`;
}

/**
 * The bytes of a kit binary, checked against the SHA-256 recorded in `hashFile` before anything uses them; a
 * missing file or record, or a mismatch, is a DataError naming the file.
 */
export function verifiedBinary(file: string, hashFile: string): { bytes: Uint8Array; sha256: string } {
  let bytes: Uint8Array;
  let record: string;
  try {
    bytes = fs.readFileSync(file);
  } catch {
    throw new DataError(`${file} is missing: restore it (git checkout -- ${path.basename(file)}) or run IPA_FUSED=0 for the composed ops`);
  }
  try {
    record = fs.readFileSync(hashFile, 'utf8');
  } catch {
    throw new DataError(`${hashFile} is missing: the SHA-256 that ${path.basename(file)} is checked against`);
  }
  const want = /^([0-9a-f]{64})\b/.exec(record.trim())?.[1];
  if (!want) throw new DataError(`${hashFile} does not hold a SHA-256 (expected '<64 hex digits>  ${path.basename(file)}')`);
  const have = sha256(bytes);
  if (have !== want) {
    throw new DataError(`${file} is altered: its SHA-256 ${have.slice(0, 12)}... is not the recorded ${want.slice(0, 12)}...; restore it (git checkout), rebuild it with native/build.sh, or run IPA_FUSED=0 for the composed ops`);
  }
  return { bytes, sha256: have };
}

/** The WebAssembly API of Node (its types come with lib.dom, which the kit does not load). */
type WasmMemory = object;
type WasmModule = object;
const WA = (globalThis as unknown as { WebAssembly: { Module: new (bytes: Uint8Array) => WasmModule; Instance: new (m: WasmModule, imports: object) => { exports: unknown } } }).WebAssembly;

/** The part of tfjs's BackendWasm these kernels use. */
interface WasmBackendLike {
  wasm: { asm?: { memory?: WasmMemory } };
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
  disposeData(dataId: object): boolean;
}

interface Exports {
  gn_forward(x: number, gamma: number, beta: number, scale: number, shift: number, out: number, scratch: number, N: number, P: number, C: number, G: number, B: number, act: number, eps: number): void;
  gn_backward(
    x: number, gamma: number, beta: number, scale: number, shift: number, dy: number,
    dx: number, dgamma: number, dbeta: number, dscale: number, dshift: number, scratch: number,
    N: number, P: number, C: number, G: number, B: number, act: number, eps: number,
  ): void;
  concat_channels(a: number, b: number, out: number, P: number, C1: number, C2: number): void;
  split_channels(y: number, a: number, b: number, P: number, C1: number, C2: number): void;
}

/** Section ids of a wasm binary, in order (to refuse data segments). */
export function wasmSectionIds(bytes: Uint8Array): number[] {
  const ids: number[] = [];
  let i = 8;
  const leb = () => {
    let r = 0;
    let s = 0;
    let b: number;
    do {
      b = bytes[i++];
      r |= (b & 127) << s;
      s += 7;
    } while (b & 128);
    return r >>> 0;
  };
  while (i < bytes.length) {
    const id = bytes[i++];
    const n = leb();
    ids.push(id);
    i += n;
  }
  return ids;
}

let compiled: { module: WasmModule; sha256: string } | undefined;
const instances = new WeakMap<object, Exports>();
let enabled: boolean | undefined; // IPA_FUSED, read on first use (core/env.ts checks it)

const isEnabled = (): boolean => (enabled ??= envFused());

/** The verified, compiled module; a module that is altered or does not compile is a DataError naming it. */
function compiledModule(): { module: WasmModule; sha256: string } {
  if (compiled) return compiled;
  const file = fusedWasmPath();
  const { bytes, sha256: sha } = verifiedBinary(file, fusedWasmHashPath());
  const ids = wasmSectionIds(bytes);
  if (ids.includes(11) || ids.includes(12)) throw new DataError(`${file} has a data section, which would be written into the tfjs heap`);
  try {
    compiled = { module: new WA.Module(bytes), sha256: sha };
  } catch (err) {
    throw new DataError(`${file} does not compile: ${(err as Error).message}`);
  }
  return compiled;
}

function instanceFor(backend: WasmBackendLike): Exports {
  let inst = instances.get(backend);
  if (inst) return inst;
  const mod = compiledModule().module;
  const memory = backend.wasm.asm?.memory; // the Emscripten module's exported heap
  if (!memory) throw new Error('fused kernels: the wasm backend does not expose its memory');
  inst = new WA.Instance(mod, { env: { memory } }).exports as Exports;
  instances.set(backend, inst);
  return inst;
}

/** Turn the fused kernels on or off (benches compare both); returns the previous setting. */
export function setFusedKernels(on: boolean): boolean {
  const was = isEnabled();
  enabled = on;
  return was;
}

/**
 * Whether the fused kernels run for the current backend (wasm, not switched off). On wasm with the kernels on, a
 * module that is altered or does not load is a DataError: the kit never falls back to the composed ops unasked.
 */
export function fusedKernelsActive(): boolean {
  if (!isEnabled() || tf.getBackend() !== 'wasm') return false;
  compiledModule();
  return (tf.backend() as unknown as WasmBackendLike).wasm?.asm?.memory !== undefined;
}

/** Which kernels run on `backend`, in one line (the device report and the run manifest). Checks the module on wasm. */
export function kernelsReport(backend: string): string {
  if (backend !== 'wasm') return `tfjs ${backend} kernels (the kit's wasm kernels run on the wasm backend only)`;
  if (!isEnabled()) return 'composed tfjs ops (IPA_FUSED=0)';
  return `the kit's fused wasm kernels (native/kernels.wasm, SHA-256 ${compiledModule().sha256.slice(0, 16)}..., verified)`;
}

/** Attributes of both kernels: groups, epsilon, SiLU after, FiLM inputs given. */
interface GnAttrs {
  groups: number;
  eps: number;
  act: boolean;
  film: boolean;
  [key: string]: number | boolean;
}

const ptr = (backend: WasmBackendLike, t: tf.TensorInfo) => {
  const d = backend.dataIdMap.get(t.dataId);
  if (!d) throw new Error('fused kernels: a tensor has no data on the wasm backend');
  return d.memoryOffset;
};

/** What both GroupNorm kernels read: sizes, the instance, and the pointers of x, gamma, beta and the FiLM inputs (0 without FiLM). */
function gnCall(backend: unknown, inputs: unknown, attrs: unknown) {
  const b = backend as WasmBackendLike;
  const a = attrs as GnAttrs;
  const ins = inputs as Record<string, tf.TensorInfo>;
  const x = ins.x;
  const [N, H, W, C] = x.shape;
  if (x.shape.length !== 4 || C % a.groups) throw new Error(`fused GroupNorm: channels ${C} of ${JSON.stringify(x.shape)} not divisible by ${a.groups} groups`);
  if (x.dtype !== 'float32') throw new Error(`fused GroupNorm: float32 input expected, got ${x.dtype}`);
  const p = (t: tf.TensorInfo) => ptr(b, t);
  return {
    b, a, x, N, P: H * W, C,
    B: a.film ? ins.scale.shape[0] : 0,
    k: instanceFor(b),
    params: [p(x), p(ins.gamma), p(ins.beta), a.film ? p(ins.scale) : 0, a.film ? p(ins.shift) : 0] as const,
    p,
    dy: ins.dy,
  };
}

tf.registerKernel({
  kernelName: 'KitGroupNormAct',
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { b, a, x, N, P, C, B, k, params, p } = gnCall(backend, inputs, attrs);
    const out = b.makeOutput(x.shape, 'float32');
    const scratch = b.makeOutput([10 * C], 'float32');
    k.gn_forward(...params, p(out), p(scratch), N, P, C, a.groups, B, a.act ? 1 : 0, a.eps);
    b.disposeData(scratch.dataId);
    return out;
  },
});

tf.registerKernel({
  kernelName: 'KitGroupNormActGrad',
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { b, a, x, N, P, C, B, k, params, p, dy } = gnCall(backend, inputs, attrs);
    const dx = b.makeOutput(x.shape, 'float32');
    const dgamma = b.makeOutput([C], 'float32');
    const dbeta = b.makeOutput([C], 'float32');
    const dscale = b.makeOutput([Math.max(B, 1), C], 'float32');
    const dshift = b.makeOutput([Math.max(B, 1), C], 'float32');
    const scratch = b.makeOutput([10 * C], 'float32');
    k.gn_backward(...params, p(dy), p(dx), p(dgamma), p(dbeta), p(dscale), p(dshift), p(scratch), N, P, C, a.groups, B, a.act ? 1 : 0, a.eps);
    b.disposeData(scratch.dataId);
    if (a.film) return [dx, dgamma, dbeta, dscale, dshift];
    b.disposeData(dscale.dataId);
    b.disposeData(dshift.dataId);
    return [dx, dgamma, dbeta];
  },
});

/**
 * GroupNorm -> FiLM -> SiLU through the fused kernels, with its gradient (the same contract as `groupNormAct`
 * of ./norm.ts, which checks the arguments and calls this when `fusedKernelsActive()`).
 */
export function fusedGroupNormAct(x: tf.Tensor4D, groups: number, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number, act: boolean, scale?: tf.Tensor2D, shift?: tf.Tensor2D): tf.Tensor4D {
  const attrs: GnAttrs = { groups, eps, act, film: scale !== undefined };
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const ins = args.slice(0, -1) as tf.Tensor[];
    save(ins);
    const named: Record<string, tf.Tensor> = { x: ins[0], gamma: ins[1], beta: ins[2], ...(attrs.film ? { scale: ins[3], shift: ins[4] } : {}) };
    const value = tf.engine().runKernel('KitGroupNormAct', named as unknown as tf.NamedTensorMap, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
    return {
      value,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const s: Record<string, tf.Tensor> = { x: saved[0], gamma: saved[1], beta: saved[2], ...(attrs.film ? { scale: saved[3], shift: saved[4] } : {}), dy: dy as tf.Tensor };
        return tf.engine().runKernel('KitGroupNormActGrad', s as unknown as tf.NamedTensorMap, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
      },
    };
  });
  return (attrs.film ? f(x, gamma, beta, scale as tf.Tensor, shift as tf.Tensor) : f(x, gamma, beta)) as tf.Tensor4D;
}

tf.registerKernel({
  kernelName: 'KitConcatChannels',
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend }) => {
    const b = backend as unknown as WasmBackendLike;
    const { a, b: second } = inputs as Record<string, tf.TensorInfo>;
    const [N, H, W, C1] = a.shape;
    const C2 = second.shape[3];
    const out = b.makeOutput([N, H, W, C1 + C2], 'float32');
    instanceFor(b).concat_channels(ptr(b, a), ptr(b, second), ptr(b, out), N * H * W, C1, C2);
    return out;
  },
});

tf.registerKernel({
  kernelName: 'KitSplitChannels',
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const b = backend as unknown as WasmBackendLike;
    const { y } = inputs as Record<string, tf.TensorInfo>;
    const [N, H, W, C] = y.shape;
    const C1 = (attrs as { c1: number }).c1;
    const da = b.makeOutput([N, H, W, C1], 'float32');
    const db = b.makeOutput([N, H, W, C - C1], 'float32');
    instanceFor(b).split_channels(ptr(b, y), ptr(b, da), ptr(b, db), N * H * W, C1, C - C1);
    return [da, db];
  },
});

/** [N, H, W, C1] + [N, H, W, C2] -> [N, H, W, C1 + C2] through the kernels, its gradient the split (./norm.ts checks the shapes). */
export const fusedConcatChannels: (a: tf.Tensor4D, b: tf.Tensor4D) => tf.Tensor4D = (() => {
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [a, b] = args as [tf.Tensor4D, tf.Tensor4D];
    const c1 = a.shape[3];
    return {
      value: tf.engine().runKernel('KitConcatChannels', { a, b } as unknown as tf.NamedTensorMap) as tf.Tensor,
      gradFunc: (dy: tf.Tensor | tf.Tensor[]) => tf.engine().runKernel('KitSplitChannels', { y: dy as tf.Tensor } as unknown as tf.NamedTensorMap, { c1 } as unknown as tf.NamedAttrMap) as tf.Tensor[],
    };
  });
  return (a: tf.Tensor4D, b: tf.Tensor4D) => f(a, b) as tf.Tensor4D;
})();
