/**
 * Pool speed: one new alpha tried against a full 50-member GFN pool on the
 * bundled train split (610 days x 496 stocks), evaluation excluded (the raw
 * values are computed beforehand). Members and candidates are seeded random
 * panels: their mutual ICs are near 0, so every try passes the gate and
 * compares against all 50 members (no early stop), the costly case.
 * Also: a linear-pool (AlphaGen) try at 20 members, Adam weights included.
 */
import { bundledQlibDir, loadStockData, SPLITS } from '../src/data/index.js';
import { evaluateTarget } from '../src/expr/index.js';
import { GfnPool, LinearPool } from '../src/pool/index.js';
import { Rng } from '../src/util/rng.js';

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

export default async function (): Promise<void> {
  const data = loadStockData({ qlibDir: await bundledQlibDir(), ...SPLITS.train });
  const { nDays, nStocks } = data;
  const target = evaluateTarget(data);
  const rng = new Rng(2024);
  const panel = () => {
    const x = new Float64Array(nDays * nStocks);
    for (let i = 0; i < x.length; i++) x[i] = rng.normal();
    return x;
  };
  const embedding = () => Float32Array.from({ length: 128 }, () => rng.normal());

  const gfn = new GfnPool({ capacity: 50, target, nDays, nStocks });
  for (let i = 0; i < 50; i++) gfn.tryAdd(`member${i}`, panel(), embedding());
  if (gfn.size !== 50) throw new Error(`expected a full pool, got ${gfn.size}`);
  const candidates = Array.from({ length: 40 }, () => ({ raw: panel(), emb: embedding() }));
  const gfnTimes: number[] = [];
  let admitted = 0;
  candidates.forEach((c, i) => {
    const t = performance.now();
    const r = gfn.tryAdd(`candidate${i}`, c.raw, c.emb);
    gfnTimes.push(performance.now() - t);
    if (r.admitted) admitted++;
  });
  const warm = gfnTimes.slice(5); // the first tries include JIT warm-up

  const linear = new LinearPool({ capacity: 20, target, nDays, nStocks });
  for (let i = 0; i < 20; i++) linear.tryAdd(`member${i}`, panel());
  const linearTimes: number[] = [];
  for (let i = 0; i < 8; i++) {
    const raw = panel();
    const t = performance.now();
    linear.tryAdd(`candidate${i}`, raw);
    linearTimes.push(performance.now() - t);
  }

  console.log(`bundled train split: ${nDays} days x ${nStocks} stocks`);
  console.log('| step | median ms | p90 ms | min ms | tries |');
  console.log('|---|---|---|---|---|');
  console.log(
    `| GFN pool (50 members, full): one tryAdd (normalize, 51 ICs, admission, consistency) | ${quantile(warm, 0.5).toFixed(1)} | ${quantile(warm, 0.9).toFixed(1)} | ${Math.min(...warm).toFixed(1)} | ${warm.length} (${admitted} of ${candidates.length} admitted) |`,
  );
  console.log(
    `| linear pool (20 members, full): one tryAdd incl. Adam weights + eviction + ensemble IC | ${quantile(linearTimes, 0.5).toFixed(1)} | ${quantile(linearTimes, 0.9).toFixed(1)} | ${Math.min(...linearTimes).toFixed(1)} | ${linearTimes.length} |`,
  );
  console.log('target: GFN tryAdd under 30 ms');
}
