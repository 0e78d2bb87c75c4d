/**
 * The compute engine (docs/design.md, "Engines"): what computes the video model's velocity while sampling and its
 * loss and gradients while training. 'onnx' runs the U-Net's graphs (./unet-graph: the frozen sampling graph of
 * ./unet-onnx, the pretraining step of ./unet-train, the post-training steps of align/graph) through ONNX Runtime,
 * 4-5x faster than the tfjs wasm path at sampling and about 3x at training on this machine's CPU; 'tfjs' is the
 * reference path and the fallback (the DiT, and methods without a graph head). The optimizer stays on the kit's
 * side for both. A run uses one engine throughout (`reproduce` resolves it once, records it in the manifest and
 * hands it to every notebook through IPA_ENGINE); generations record the engine that made them and are made again
 * under another, and checkpoints record the engine that trained them (a run resumes only on its own).
 */
import { UsageError } from '../core/errors';
import { OrtProvider, ortStatus, probeProvider } from '../gpu/onnx';
import { ModelConfig, modelKind } from './config';

/** 'onnx' runs on ONNX Runtime's CPU provider; 'onnx:webgpu' and 'onnx:cuda' name another provider (gpu/onnx). */
export const ENGINE_CHOICES = ['auto', 'tfjs', 'onnx', 'onnx:cpu', 'onnx:webgpu', 'onnx:cuda'] as const;
export type EngineChoice = (typeof ENGINE_CHOICES)[number];
export type EngineName = 'tfjs' | 'onnx';

/** The engine a run computes with, and why (the reason a preferred engine was not used, else null). */
export interface EngineReport {
  engine: EngineName;
  /** ONNX Runtime's execution provider (null on tfjs). */
  provider: OrtProvider | null;
  chosenBy: 'auto' | 'IPA_ENGINE' | 'option';
  ortVersion: string | null;
  reason: string | null;
}

/** Parse an engine name; throws listing the valid ones. */
export function parseEngineChoice(s: string): EngineChoice {
  if (!(ENGINE_CHOICES as readonly string[]).includes(s)) throw new UsageError(`unknown engine '${s}' (expected one of ${ENGINE_CHOICES.join(', ')})`);
  return s as EngineChoice;
}

/**
 * Resolve the engine for `model`: the option, else IPA_ENGINE, else 'auto' (ONNX Runtime's CPU provider when it
 * loads and the network has graphs, the U-Net; else tfjs). 'onnx' (or a provider) asked for by name and unavailable
 * is an error saying why. A provider chosen by option is written to IPA_ENGINE, so pool workers use it too.
 */
export function resolveEngine(model: ModelConfig | null, choice?: string): EngineReport {
  const chosenBy = choice !== undefined ? 'option' : process.env.IPA_ENGINE ? 'IPA_ENGINE' : 'auto';
  const want = parseEngineChoice(choice ?? process.env.IPA_ENGINE ?? 'auto');
  const ort = ortStatus();
  if (want === 'tfjs') return { engine: 'tfjs', provider: null, chosenBy, ortVersion: ort.version, reason: null };
  const provider: OrtProvider = want.startsWith('onnx:') ? (want.slice(5) as OrtProvider) : 'cpu';
  const why = !ort.ok ? `ONNX Runtime does not load (${ort.reason})` : model && modelKind(model) !== 'unet' ? `the '${modelKind(model)}' network has no ONNX graphs` : null;
  if (why && want !== 'auto') throw new Error(`engine '${want}' is not available: ${why}`);
  if (why) return { engine: 'tfjs', provider: null, chosenBy, ortVersion: ort.version, reason: why };
  if (provider !== 'cpu') {
    const cannot = probeProvider(provider);
    if (cannot) throw new Error(`engine '${want}': ONNX Runtime's ${provider} provider does not run here: ${cannot}`);
    if (choice !== undefined) process.env.IPA_ENGINE = want;
  }
  return { engine: 'onnx', provider, chosenBy, ortVersion: ort.version, reason: null };
}
