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
import { ortStatus } from '../gpu/onnx';
import { ModelConfig, modelKind } from './config';

export const ENGINE_CHOICES = ['auto', 'tfjs', 'onnx'] as const;
export type EngineChoice = (typeof ENGINE_CHOICES)[number];
export type EngineName = Exclude<EngineChoice, 'auto'>;

/** The engine a run samples with, and why (the reason a preferred engine was not used, else null). */
export interface EngineReport {
  engine: EngineName;
  chosenBy: 'auto' | 'IPA_ENGINE' | 'option';
  ortVersion: string | null;
  reason: string | null;
}

/** Parse an engine name; throws listing the valid ones. */
export function parseEngineChoice(s: string): EngineChoice {
  if (!(ENGINE_CHOICES as readonly string[]).includes(s)) throw new UsageError(`unknown sampling engine '${s}' (expected one of ${ENGINE_CHOICES.join(', ')})`);
  return s as EngineChoice;
}

/**
 * Resolve the engine for sampling `model`: the option, else IPA_ENGINE, else 'auto' (ONNX Runtime when it loads
 * and the network has an exporter, the U-Net; else tfjs). 'onnx' asked for by name and unavailable is an error.
 */
export function resolveEngine(model: ModelConfig | null, choice?: string): EngineReport {
  const chosenBy = choice !== undefined ? 'option' : process.env.IPA_ENGINE ? 'IPA_ENGINE' : 'auto';
  const want = parseEngineChoice(choice ?? process.env.IPA_ENGINE ?? 'auto');
  const ort = ortStatus();
  if (want === 'tfjs') return { engine: 'tfjs', chosenBy, ortVersion: ort.version, reason: null };
  const why = !ort.ok ? `ONNX Runtime does not load (${ort.reason})` : model && modelKind(model) !== 'unet' ? `the '${modelKind(model)}' network has no ONNX exporter` : null;
  if (why && want === 'onnx') throw new Error(`sampling engine 'onnx' is not available: ${why}`);
  return why ? { engine: 'tfjs', chosenBy, ortVersion: ort.version, reason: why } : { engine: 'onnx', chosenBy, ortVersion: ort.version, reason: null };
}
