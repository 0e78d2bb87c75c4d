/** Perception-network checkpoints: the head the perception network writes (train/checkpoint.ts holds the format). */
import { CheckpointMeta, readCheckpointMeta } from '../train/checkpoint';
import { PerceptionConfig, validatePerceptionConfig } from './config';

/** The head of a perception checkpoint. */
export interface PerceptionCheckpointHead {
  kind: 'perception';
  perception: PerceptionConfig;
}

/** A perception checkpoint's metadata. */
export type PerceptionCheckpointMeta = CheckpointMeta<PerceptionCheckpointHead>;

/** The head of a perception checkpoint (the config is checked before anything is written). */
export function perceptionHead(perception: PerceptionConfig): PerceptionCheckpointHead {
  validatePerceptionConfig(perception);
  return { kind: 'perception', perception };
}

/** Check that a checkpoint holds the perception network: kind 'perception' and a valid config. */
export function checkPerceptionHead(meta: CheckpointMeta): void {
  if (meta.kind !== 'perception') throw new Error(`a '${meta.kind}' checkpoint, not a perception network`);
  const p = (meta as PerceptionCheckpointMeta).perception;
  if (!p) throw new Error(`a 'perception' checkpoint without its 'perception' config`);
  validatePerceptionConfig(p);
}

/** Read a perception checkpoint's metadata; any other kind is a DataError. */
export function readPerceptionCheckpointMeta(dir: string): PerceptionCheckpointMeta {
  return readCheckpointMeta<PerceptionCheckpointHead>(dir, checkPerceptionHead);
}
