/**
 * Pool speed: a new alpha tried against a full 50-member GFN pool on the
 * bundled train split (610 days x 496 stocks), evaluation excluded (the raw
 * values are computed beforehand). The members are the target plus seeded
 * noise (|IC| about 0.2, mutual ICs small); the candidates are seeded noise,
 * so each try compares against all 50 members (no early stop) and is then
 * rejected: the miner's common case once its pool is full. Timed one by one
 * (tryAdd) and in windows of 20 as the miner makes them (stage, one batch of
 * day sums against the members, then the tries in order).
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

  const WINDOW = 20;
  const gfn = new GfnPool({ capacity: 50, target, nDays, nStocks });
  const staged = new GfnPool({ capacity: 50, target, nDays, nStocks, stageCapacity: WINDOW });
  for (let i = 0; i < 50; i++) {
    const raw = panel();
    for (let k = 0; k < raw.length; k++) raw[k] = (target[k] === target[k] ? target[k] * 3 : 0) + raw[k];
    const e = embedding();
    gfn.tryAdd(`member${i}`, raw, e);
    staged.tryAdd(`member${i}`, raw, e);
  }
  if (gfn.size !== 50 || staged.size !== 50) throw new Error(`expected full pools, got ${gfn.size} and ${staged.size}`);
  const candidates = Array.from({ length: 5 * WINDOW }, () => ({ raw: panel(), emb: embedding() }));
  const gfnTimes: number[] = [];
  let admitted = 0;
  candidates.forEach((c, i) => {
    const t = performance.now();
    const r = gfn.tryAdd(`candidate${i}`, c.raw, c.emb);
    gfnTimes.push(performance.now() - t);
    if (r.admitted) admitted++;
  });
  const warm = gfnTimes.slice(WINDOW); // the first tries include JIT warm-up

  // The same candidates in windows, per candidate: (stage all + prepareStaged + try all) / window size.
  const stagedTimes: number[] = [];
  let stagedAdmitted = 0;
  for (let w0 = 0; w0 < candidates.length; w0 += WINDOW) {
    const window = candidates.slice(w0, w0 + WINDOW);
    const t = performance.now();
    const handles = window.map((c) => staged.stage(c.raw));
    staged.prepareStaged();
    window.forEach((c, k) => {
      if (staged.tryStaged(handles[k], `candidate${w0 + k}`, c.emb).admitted) stagedAdmitted++;
    });
    staged.releaseStaged();
    stagedTimes.push((performance.now() - t) / window.length);
  }
  const stagedWarm = stagedTimes.slice(1); // the first window includes JIT warm-up

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
    `| the same candidates staged in windows of ${WINDOW}, as the miner tries them: per candidate | ${quantile(stagedWarm, 0.5).toFixed(1)} | ${quantile(stagedWarm, 0.9).toFixed(1)} | ${Math.min(...stagedWarm).toFixed(1)} | ${stagedWarm.length} windows (${stagedAdmitted} of ${candidates.length} admitted) |`,
  );
  console.log(
    `| linear pool (20 members, full): one tryAdd incl. Adam weights + eviction + ensemble IC | ${quantile(linearTimes, 0.5).toFixed(1)} | ${quantile(linearTimes, 0.9).toFixed(1)} | ${Math.min(...linearTimes).toFixed(1)} | ${linearTimes.length} |`,
  );
  console.log('target: GFN tryAdd under 30 ms');
}
