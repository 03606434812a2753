// Types of the ESM entry point: the same declarations as the CommonJS one.
export * from './index.js';
