export * from './backend';
export * from './ops';
