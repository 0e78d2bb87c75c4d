/**
 * How a run's settings reach a notebook: environment variables that the runner sets for the kernel (or a person
 * sets before starting Jupyter) and that the study's `notebookContext()` reads.
 */

/** The environment variables a notebook reads. */
export const NOTEBOOK_ENV = {
  /** Profile name (default `paper`). */
  profile: 'IPA_PROFILE',
  /** World seed (default: the profile's seed). */
  worldSeed: 'IPA_WORLD_SEED',
  /** `1` to retrain the base model instead of using the shipped checkpoint. */
  pretrain: 'IPA_PRETRAIN',
  /** `1` when the kit's runner started the kernel (no person is watching). */
  headless: 'IPA_HEADLESS',
  /** The results folder for tables, figures and media (`reproduce --results DIR`; default: the study's own). */
  results: 'IPA_RESULTS_DIR',
} as const;

/** The profiles a caller knows: the default name and a check that throws a UsageError naming an unknown one. */
export interface ProfileCheck {
  defaultName: string;
  check(name: string): void;
}
