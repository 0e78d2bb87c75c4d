/**
 * The kit's own wasm kernels, registered as tfjs kernels on the wasm backend: fused GroupNorm -> FiLM -> SiLU,
 * forward ('KitGroupNormAct') and backward ('KitGroupNormActGrad'), and the channel concatenation of the
 * U-Net's skips with its gradient ('KitConcatChannels', 'KitSplitChannels'), from native/kernels.c (built by
 * native/build.sh; the .wasm is committed, so `npm ci` needs no compiler).
 *
 * The module runs in the tfjs wasm backend's own memory (it imports it): its pointers are the tensors' offsets in
 * that heap, so nothing is copied. It is refused if it carries a data section (instantiating it would write into
 * the heap); the test checks that it uses no stack either. Off wasm, or where the module does not load, or with
 * IPA_FUSED=0 / `setFusedKernels(false)`, callers use the composed tfjs ops (./norm.ts), the reference the kernels
 * are tested against.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { kitRoot } from '../core/kit';

/** The committed kernel module. */
export function fusedWasmPath(): string {
  return path.join(kitRoot(), 'native', 'kernels.wasm');
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

let compiled: WasmModule | null | undefined;
let loadError: string | null = null;
const instances = new WeakMap<object, Exports>();
let enabled = process.env.IPA_FUSED !== '0';

function compiledModule(): WasmModule | null {
  if (compiled !== undefined) return compiled;
  try {
    const bytes = fs.readFileSync(fusedWasmPath());
    const ids = wasmSectionIds(bytes);
    if (ids.includes(11) || ids.includes(12)) throw new Error('the module has a data section, which would be written into the tfjs heap');
    compiled = new WA.Module(bytes);
  } catch (err) {
    compiled = null;
    loadError = (err as Error).message;
  }
  return compiled;
}

function instanceFor(backend: WasmBackendLike): Exports {
  let inst = instances.get(backend);
  if (inst) return inst;
  const mod = compiledModule();
  const memory = backend.wasm.asm?.memory; // the Emscripten module's exported heap
  if (!mod || !memory) throw new Error(`fused kernels: ${loadError ?? 'the wasm backend does not expose its memory'}`);
  inst = new WA.Instance(mod, { env: { memory } }).exports as Exports;
  instances.set(backend, inst);
  return inst;
}

/** Turn the fused kernels on or off (benches compare both); returns the previous setting. */
export function setFusedKernels(on: boolean): boolean {
  const was = enabled;
  enabled = on;
  return was;
}

/** Whether the fused kernels run for the current backend (wasm, module loaded, not switched off). */
export function fusedKernelsActive(): boolean {
  if (!enabled || tf.getBackend() !== 'wasm' || !compiledModule()) return false;
  return (tf.backend() as unknown as WasmBackendLike).wasm?.asm?.memory !== undefined;
}

/** Why the fused kernels do not load ('' when they do). */
export function fusedKernelsStatus(): string {
  compiledModule();
  return loadError ?? '';
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
