/**
 * Miner speed: episodes per second for each encoder on the bundled train
 * split (all 496 stocks, 2013-08-01..2015-12-31) with a pool of 50, and
 * where the time goes per episode: sampling (policy forward passes in
 * lockstep), evaluation of the expressions, the pool (normalisation, IC,
 * mutual ICs, admission, consistency reward), and the update (forward +
 * backward + Adam, once per 64 episodes). Early episodes of a run: the
 * untrained policy writes long, often invalid expressions (not evaluated),
 * so later episodes cost more evaluation and pool time than these.
 */
import { bundledQlibDir, loadStockData, SPLITS } from '../src/data/index.js';
import { ENCODER_TYPES } from '../src/model/encoder.js';
import { useBackend } from '../src/model/tf.js';
import { Miner, MINER_DEFAULTS } from '../src/miner/miner.js';

const EPISODES = Number(process.env.MINER_BENCH_EPISODES ?? 320);

export default async function (): Promise<void> {
  await useBackend('wasm');
  const qlibDir = await bundledQlibDir();
  const t0 = performance.now();
  const train = loadStockData({ qlibDir, start: SPLITS.train.start, end: SPLITS.train.end });
  const loadMs = performance.now() - t0;
  console.log(`train split: ${train.nStocks} stocks x ${train.nDays} days (loaded in ${loadMs.toFixed(0)} ms); ${EPISODES} episodes per encoder, pool 50, update every 64`);
  console.log('| encoder | episodes/s | sampling ms/ep | evaluation ms/ep | pool ms/ep | update ms/ep | other ms/ep | valid | pool size |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const encoderType of ENCODER_TYPES) {
    const miner = Miner.create({ ...MINER_DEFAULTS, encoderType, nEpisodes: EPISODES, logFreq: EPISODES, seed: 1 }, { train, window: { ...SPLITS.train, universe: 'all' } });
    let valid = 0;
    const start = performance.now();
    await miner.run({ hooks: { onLog: (r) => (valid = r.valid_ratio) } });
    const ms = performance.now() - start;
    const p = miner.profile;
    const per = (x: number) => (x / EPISODES).toFixed(2);
    const other = ms - p.sampling - p.evaluation - p.pool - p.update;
    console.log(
      `| ${encoderType} | ${((EPISODES * 1000) / ms).toFixed(1)} | ${per(p.sampling)} | ${per(p.evaluation)} | ${per(p.pool)} | ${per(p.update)} | ${per(other)} | ${(100 * valid).toFixed(0)}% | ${miner.pool.size} |`,
    );
    miner.dispose();
  }
}
