export * from './backend';
export * from './ops';
export * from './conv';
export * from './norm';
