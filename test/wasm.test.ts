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

test('src/expr/wasm/kernels.wasm matches a fresh build of assembly/', async () => {
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

test('pool normalization, ICs and consistency distances from the WebAssembly arena equal the TypeScript loops bit for bit (odd stock count, NaNs, flat days, empty days)', async () => {
  const { AlphaArena } = await import('../src/pool/arena.js');
  const { meanDailyIC, meanDailyICs, normalizeAlpha } = await import('../src/pool/normalized.js');
  const { meanSquaredDifference, meanSquaredDifferences } = await import('../src/pool/consistency.js');
  const { Rng } = await import('../src/util/rng.js');
  const nDays = 41; // odd: the two-days-at-a-time kernels' last day runs alone
  const nStocks = 37;
  const rng = new Rng(11);
  const raws = Array.from({ length: 5 }, (_, k) =>
    Float64Array.from({ length: nDays * nStocks }, (_, i) => {
      const u = rng.next();
      if (u < 0.05) return NaN;
      if (k === 4 && Math.floor(i / nStocks) % 7 === 0) return 3; // a flat day
      if (k === 3 && Math.floor(i / nStocks) % 11 === 0) return NaN; // a day without values
      return rng.normal() * (k + 1) + (i % nStocks) * 0.01 * k;
    }),
  );
  const arena = AlphaArena.create(raws.length, nDays, nStocks, { maxX: raws.length, maxY: raws.length });
  assert.ok(arena);
  const inArena = raws.map((r) => normalizeAlpha(r, nDays, nStocks, arena));
  const plain = raws.map((r) => normalizeAlpha(r, nDays, nStocks));
  assert.ok(inArena.every((a) => a.values.buffer !== plain[0].values.buffer));
  assert.equal(arena.take(), undefined, 'all slots taken');
  const sameBits = (a: Float64Array, b: Float64Array): boolean => a.length === b.length && a.every((x, i) => Object.is(x, b[i]));
  for (let i = 0; i < raws.length; i++) {
    assert.ok(sameBits(inArena[i].values, plain[i].values), `normalized values ${i}`);
    assert.ok(sameBits(inArena[i].dayMean, plain[i].dayMean) && sameBits(inArena[i].dayStd, plain[i].dayStd), `day statistics ${i}`);
  }
  for (let i = 0; i < raws.length; i++) {
    for (let j = 0; j < raws.length; j++) {
      assert.ok(Object.is(meanDailyIC(inArena[i], inArena[j], nDays, nStocks), meanDailyIC(plain[i], plain[j], nDays, nStocks)), `IC ${i} ${j}`);
      const msd = meanSquaredDifference(inArena[i].values, inArena[j].values, nDays, nStocks);
      if (j === 0) {
        // Batches: every alpha against every other (five: one group of four and a short group; two pairs of
        // others and an odd last), then 3 x 4 and 4 x 1 (a short group only; pairs only; one group, one other).
        for (const [nx, ny] of [[5, 5], [3, 4], [4, 1]]) {
          const batch = arena.dayDotsBatch(inArena.slice(0, nx).map((a) => a.values), inArena.slice(5 - ny).map((a) => a.values));
          for (let x = 0; x < nx; x++) {
            for (let y = 0; y < ny; y++) {
              const single = Float64Array.from(arena.dayDots(inArena[x].values, inArena[5 - ny + y].values));
              assert.ok(sameBits(batch(x, y), single), `batch ${nx} x ${ny}: day sums ${x} ${y}`);
            }
          }
        }
      }
      assert.ok(Object.is(msd, meanSquaredDifference(plain[i].values, plain[j].values, nDays, nStocks)), `mean squared difference ${i} ${j}`);
      // Groups of 1 to 5 members (one pass takes four; a short group repeats a partner).
      const members = Array.from({ length: 1 + ((i + j) % 5) }, (_, m) => (i + j + m + 1) % raws.length);
      const grouped = meanDailyICs(inArena[i], members.map((m) => inArena[m]), nDays, nStocks);
      members.forEach((m, k) => assert.ok(Object.is(grouped[k], meanDailyIC(plain[i], plain[m], nDays, nStocks)), `IC group ${i}: member ${m}`));
      const distances = meanSquaredDifferences(inArena[i].values, members.map((m) => inArena[m].values), nDays, nStocks);
      members.forEach((m, k) => assert.ok(Object.is(distances[k], meanSquaredDifference(plain[i].values, plain[m].values, nDays, nStocks)), `distance group ${i}: member ${m}`));
    }
  }
});

test('Log and SLog1p in WebAssembly give the bits of V8 Math.log / Math.log1p (random bit patterns, every exponent, subnormals, specials)', async () => {
  const { logKernel, slog1pKernel } = await import('../src/expr/kernels/index.js');
  const { Rng } = await import('../src/util/rng.js');
  const rng = new Rng(3);
  const n = 300_000;
  const xs = new Float64Array(n);
  const bits = new Uint32Array(xs.buffer);
  for (let i = 0; i < n; i++) {
    const kind = i % 4;
    if (kind === 0) {
      bits[2 * i] = (rng.next() * 2 ** 32) >>> 0; // any double: all exponents, subnormals, NaNs
      bits[2 * i + 1] = (rng.next() * 2 ** 32) >>> 0;
    } else if (kind === 1) xs[i] = Math.exp((rng.next() - 0.5) * 80) * (rng.next() < 0.5 ? -1 : 1);
    else if (kind === 2) xs[i] = (rng.next() - 0.5) * 2e-4 * 2 ** -Math.floor(rng.next() * 70); // SLog1p's log1p range
    else xs[i] = 1 + (rng.next() - 0.5) * 2 ** -Math.floor(rng.next() * 45); // log near 1
  }
  xs.set([0, -0, Infinity, -Infinity, NaN, 1, -1, 5e-324, -5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, 3, 1e-4, -1e-4, 2 ** -29, 2 ** -54]);
  const slog1p = (x: number): number => {
    const a = Math.abs(x);
    return (+(x > 0) - +(x < 0)) * (a > 1e-4 ? Math.log(1 + a) : Math.log1p(a)) + (x === x ? 0 : NaN);
  };
  for (const [name, kernel, want] of [
    ['Log', logKernel, Math.log],
    ['SLog1p', slog1pKernel, slog1p],
  ] as const) {
    const out = new Float64Array(n);
    kernel(xs, out, 1, n);
    let bad = 0;
    for (let i = 0; i < n; i++) if (!Object.is(out[i], want(xs[i])) && bad++ < 3) console.log(`${name}(${xs[i]}) = ${out[i]}, V8 ${want(xs[i])}`);
    assert.equal(bad, 0, `${name}: ${bad} of ${n} values differ from V8`);
  }
});

test('Pow in WebAssembly gives the bits of V8 Math.pow (with C\'s pow(1, y) = 1, pow(-1, ±inf) = 1) on random and special pairs, both sides or one broadcast', async () => {
  const { cPow, powKernel } = await import('../src/expr/kernels/elementwise.js');
  const { Rng } = await import('../src/util/rng.js');
  const rng = new Rng(9);
  const n = 300_000;
  const xs = new Float64Array(n);
  const ys = new Float64Array(n);
  const xBits = new Uint32Array(xs.buffer);
  const yBits = new Uint32Array(ys.buffer);
  const specials = [0, -0, 1, -1, 2, 0.5, -0.5, -2, 3, Infinity, -Infinity, NaN, 1e308, 5e-324, 2 ** 31 + 1, 2 ** 53 + 2, 2 ** 64];
  for (let i = 0; i < n; i++) {
    const kind = i % 7;
    if (kind === 0) {
      // any doubles: every exponent, subnormals, NaNs, infinities
      for (const b of [xBits, yBits]) {
        b[2 * i] = (rng.next() * 2 ** 32) >>> 0;
        b[2 * i + 1] = (rng.next() * 2 ** 32) >>> 0;
      }
    } else if (kind === 1) {
      xs[i] = Math.exp((rng.next() - 0.5) * 60);
      ys[i] = (rng.next() - 0.5) * 20;
    } else if (kind === 2) {
      xs[i] = (rng.next() - 0.5) * 200; // negative bases with integer exponents
      ys[i] = Math.round((rng.next() - 0.5) * 40);
    } else if (kind === 3) {
      xs[i] = 1 + (rng.next() - 0.5) * 2 ** -Math.floor(rng.next() * 40); // near 1, huge exponents
      ys[i] = (rng.next() - 0.5) * 2 ** Math.floor(rng.next() * 70);
    } else if (kind === 4) {
      xs[i] = 2 ** ((rng.next() - 0.5) * 2100); // results near overflow, underflow and subnormal
      ys[i] = (rng.next() - 0.5) * 2.2;
    } else if (kind === 5) {
      xs[i] = Math.exp((rng.next() - 0.3) * 40); // far beyond overflow and underflow, in one lane or both
      ys[i] = (rng.next() - 0.5) * 4000;
    } else {
      xs[i] = specials[Math.floor(rng.next() * specials.length)] * (rng.next() < 0.3 ? rng.next() + 0.5 : 1);
      ys[i] = specials[Math.floor(rng.next() * specials.length)];
    }
  }
  const same = (a: number, b: number): boolean => Object.is(a, b) || (a !== a && b !== b);
  const out = new Float64Array(n);
  powKernel(xs, 1, ys, 1, out, n);
  let bad = 0;
  for (let i = 0; i < n; i++) if (!same(out[i], cPow(xs[i], ys[i]))) bad++;
  assert.equal(bad, 0, `${bad} of ${n} cells differ from Math.pow`);
  // Positive bases below sqrt(3/2), below sqrt(3) and above take the three branches of log2 x (computed once for a constant base).
  for (const c of [-10, -1, 1, 3, 30, -0.5, 0.01, 2, 0.5, 1.1, 1.5, 1.7, 5e-324, 1e308]) {
    powKernel(xs, 1, Float64Array.of(c), 0, out, n); // a constant exponent
    for (let i = 0; i < n; i++) if (!same(out[i], cPow(xs[i], c))) bad++;
    powKernel(Float64Array.of(c), 0, ys, 1, out, n); // a constant base
    for (let i = 0; i < n; i++) if (!same(out[i], cPow(c, ys[i]))) bad++;
  }
  assert.equal(bad, 0, `${bad} broadcast cells differ from Math.pow`);
});
