export * from './types.js';
export * from './elementwise.js';
export * from './rolling.js';
export * from './compiled.js';
