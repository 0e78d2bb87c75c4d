/** Selection: frame-level hand judgments, implicit positives with human overrides, and the Case 1-4 analysis. */
export * from './judge';
export * from './selection';
export * from './override';
export * from './cases';
export * from './premise';
export * from './judge-fit';
export * from './bias';
