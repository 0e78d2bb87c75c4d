/** ipa-kit: the public API (DESIGN.md section 9). */
export * from './gpu';
export * from './world';
export * from './eval';
export * from './select';
