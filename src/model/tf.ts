/**
 * TensorFlow.js setup for the miner's networks. Every model module imports tf
 * from here so the whole program shares one engine.
 *
 * The `wasm` backend (SIMD, one thread) is the default: on this kind of
 * machine it is 4-5x faster than the pure-JS `cpu` backend. Its .wasm
 * binaries are loaded from node_modules, so it works offline. The `cpu`
 * backend stays available for the equality test.
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export { tf };

import type { TfBackendName } from './names.js';
export { TF_BACKENDS, type TfBackendName } from './names.js';

let wasmPathsSet = false;

/** Folder of the wasm binaries inside node_modules (with a trailing slash, as setWasmPaths expects). */
export function wasmBinaryDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/';
}

/** Selects (and initialises once) a backend; idempotent. */
export async function useBackend(name: TfBackendName = 'wasm'): Promise<void> {
  if (name === 'wasm' && !wasmPathsSet) {
    setWasmPaths(wasmBinaryDir());
    wasmPathsSet = true;
  }
  if (tf.getBackend() === name) return;
  // The wasm module (Emscripten) installs process handlers that rethrow any
  // uncaught error, which makes Node print a line of its minified source.
  // Errors are the CLI's to report: drop the handlers it adds.
  const before = {
    uncaughtException: process.listeners('uncaughtException'),
    unhandledRejection: process.listeners('unhandledRejection'),
  };
  const ok = await tf.setBackend(name);
  for (const listener of process.listeners('uncaughtException')) {
    if (!before.uncaughtException.includes(listener)) process.removeListener('uncaughtException', listener);
  }
  for (const listener of process.listeners('unhandledRejection')) {
    if (!before.unhandledRejection.includes(listener)) process.removeListener('unhandledRejection', listener);
  }
  if (!ok) throw new Error(`TensorFlow.js backend '${name}' failed to initialise`);
  await tf.ready();
}
