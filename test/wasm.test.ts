/**
 * The committed WebAssembly binary is exactly what its AssemblyScript sources
 * compile to (so nobody runs kernels the sources do not show); after editing
 * assembly/, `npm run build:wasm` rebuilds it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import asc from 'assemblyscript/asc';
import { PACKAGE_ROOT } from '../src/data/index.js';

test('src/expr/wasm/kernels.wasm matches a fresh build of assembly/index.ts', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'alphasage-wasm-'));
  try {
    const out = join(dir, 'kernels.wasm');
    const script = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')).scripts['build:wasm'] as string;
    // The package script's own flags, with the output redirected.
    const args = script.split(/\s+/).slice(1).map((a, i, all) => (all[i - 1] === '-o' ? out : a));
    const { error, stderr } = await asc.main(args, { stdout: process.stdout, stderr: process.stderr, baseDir: PACKAGE_ROOT } as never);
    assert.equal(error, null, `asc failed: ${stderr?.toString()}`);
    const fresh = readFileSync(out);
    const committed = readFileSync(join(PACKAGE_ROOT, 'src', 'expr', 'wasm', 'kernels.wasm'));
    assert.ok(fresh.equals(committed), 'src/expr/wasm/kernels.wasm is stale: run `npm run build:wasm` and commit it');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
