/** ipa-kit: the public API (DESIGN.md section 9). */
export * from './gpu';
export * from './world';
export * from './eval';
export * from './select';
export * from './perception';
export * from './repro/context';
export * from './repro/environment';
export { KERNEL_NAME, KERNEL_DISPLAY_NAME, NOTEBOOK_KERNELSPEC, installKernelSpec, kernelSpec, kernelSpecDir, kitRoot, kitVersion } from './repro/kernel';
export type { KernelSpec, KernelTarget } from './repro/kernel';
export { runNotebook, NotebookRunError } from './repro/runner';
export type { RunNotebookOptions, NotebookRun, CellTiming, RunFailureKind } from './repro/runner';
export { PIPELINE, pipelineFor, reproduce } from './repro/reproduce';
export type { PipelineStep, ReproduceOptions, ReproduceManifest, NotebookRecord } from './repro/reproduce';
export * from './report/figures';
export * from './report/tables';
export * from './report/notebook';
