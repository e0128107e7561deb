/** The GFlowNet miner: environment, schedules, Adam, and short runs on a 40-stock universe. */
import { strict as assert } from 'node:assert';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ExprBuilder, isBuildable, parseExpr } from '../src/expr/index.js';
import { actionToTokenId, N_ACTIONS } from '../src/expr/vocab.js';
import { GflowPolicy } from '../src/model/policy.js';
import { tf, useBackend } from '../src/model/tf.js';
import { Adam } from '../src/miner/adam.js';
import type { DataSpec } from '../src/miner/data.js';
import { applyEarlyStop, sampleMaskedAction, sampleTrajectories, SEP_ACTION } from '../src/miner/env.js';
import { MINER_DEFAULTS, type LogRecord, type MinerConfig } from '../src/miner/miner.js';
import { combineReward, REWARD_FLOOR } from '../src/miner/reward.js';
import { resumeRun, startRun } from '../src/miner/run.js';
import { decayFactor } from '../src/miner/schedule.js';
import { readPoolFile } from '../src/pool/index.js';
import { Rng } from '../src/util/rng.js';
import { isCleanUserError, ROOT, runCli } from './helpers/cli.js';

const UNIVERSE = join(ROOT, 'test', 'fixtures', 'sp500_dev40', 'universe_dev40.txt');
const DATA: DataSpec = {
  qlibDir: null,
  instrument: 'all',
  universeFile: UNIVERSE,
  train: { start: '2015-01-02', end: '2015-06-30' },
  test: { start: '2015-07-01', end: '2015-12-31' },
};
const SMALL: MinerConfig = { ...MINER_DEFAULTS, nEpisodes: 200, updateFreq: 32, logFreq: 50, poolCapacity: 10, seed: 7 };

const tmp = mkdtempSync(join(tmpdir(), 'alphasage-miner-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('schedules and rewards', () => {
  it('decays linearly, exponentially and polynomially to initial x final ratio', () => {
    assert.equal(decayFactor('linear', 0, 100, 0), 1);
    assert.equal(decayFactor('linear', 50, 100, 0), 0.5);
    assert.ok(Math.abs(decayFactor('linear', 100, 100, 0.2) - 0.2) < 1e-12);
    assert.ok(Math.abs(decayFactor('linear', 150, 100, 0.2) - 0.2) < 1e-12);
    assert.ok(Math.abs(decayFactor('exponential', 50, 100, 0.25) - 0.5) < 1e-12);
    assert.equal(decayFactor('exponential', 0, 100, 0), 1);
    assert.equal(decayFactor('exponential', 1, 100, 0), 0);
    assert.equal(decayFactor('polynomial', 50, 100, 0), 0.25);
    assert.ok(Math.abs(decayFactor('polynomial', 50, 100, 0.2) - (0.2 + 0.8 * 0.25)) < 1e-12);
  });

  it('combines ic, consistency and novelty with a floor of e^-10', () => {
    assert.ok(Math.abs(combineReward({ ic: 0.05, consistency: 0.5, novelty: 0.8 }, { ssl: 1, novelty: 0.3 }) - (0.05 + 0.5 + 0.24)) < 1e-12);
    assert.equal(combineReward({ ic: 0, consistency: 0, novelty: 0 }, { ssl: 1, novelty: 0.3 }), REWARD_FLOOR);
    assert.equal(combineReward({ ic: NaN, consistency: 0, novelty: 0 }, { ssl: 1, novelty: 0.3 }), REWARD_FLOOR);
  });
});

describe('Adam', () => {
  before(async () => {
    await useBackend('wasm');
  });

  it('takes PyTorch-Adam steps (first step moves each weight by lr against its gradient sign)', () => {
    const policy = new GflowPolicy({ encoder: 'gnn', seed: 1 });
    try {
      const adam = new Adam(policy.params, 1e-3);
      const before = policy.params.exportFlat();
      const grads = policy.params.list().map((p) => tf.fill(p.variable.shape, 2));
      adam.apply(grads);
      const after = policy.params.exportFlat();
      for (let i = 0; i < before.length; i += 997) assert.ok(Math.abs(before[i] - after[i] - 1e-3) < 1e-6);
      // second step with a zero gradient: m = 0.09*2... exact formula
      const zeros = policy.params.list().map((p) => tf.zeros(p.variable.shape));
      adam.apply(zeros);
      const m = 0.9 * 0.1 * 2;
      const v = 0.999 * 0.001 * 4;
      const step = (1e-3 * (m / (1 - 0.81))) / (Math.sqrt(v / (1 - 0.999 ** 2)) + 1e-8);
      const after2 = policy.params.exportFlat();
      for (let i = 0; i < before.length; i += 997) assert.ok(Math.abs(after[i] - after2[i] - step) < 1e-6);
      [...grads, ...zeros].forEach((g) => g.dispose());
      assert.equal(adam.state().step, 2);
    } finally {
      policy.dispose();
    }
  });
});

describe('environment', () => {
  before(async () => {
    await useBackend('wasm');
  });

  it('samples only allowed actions', () => {
    const rng = new Rng(3);
    const mask = new Uint8Array(N_ACTIONS);
    mask[4] = 1;
    mask[40] = 1;
    const logits = new Float32Array(N_ACTIONS).fill(50); // masked actions have the largest logits
    logits[4] = 0;
    logits[40] = 1;
    const counts = new Map<number, number>();
    for (let i = 0; i < 2000; i++) {
      const a = sampleMaskedAction(logits, 0, mask, rng);
      counts.set(a, (counts.get(a) ?? 0) + 1);
    }
    assert.deepEqual([...counts.keys()].sort((a, b) => a - b), [4, 40]);
    const p40 = (counts.get(40) ?? 0) / 2000;
    assert.ok(Math.abs(p40 - Math.E / (1 + Math.E)) < 0.04, `p40 ${p40}`);
  });

  it('early stop masks everything but SEP with probability p x length / 20', () => {
    const rng = new Rng(5);
    let fired = 0;
    for (let i = 0; i < 4000; i++) {
      const m = new Uint8Array(N_ACTIONS).fill(1);
      if (applyEarlyStop(m, 10, 0.8, rng)) {
        fired++;
        assert.equal(m.reduce((s, x) => s + x, 0), 1);
        assert.equal(m[SEP_ACTION], 1);
      }
    }
    assert.ok(Math.abs(fired / 4000 - 0.4) < 0.03, `fired ${fired / 4000}`);
    const noSep = new Uint8Array(N_ACTIONS).fill(1);
    noSep[SEP_ACTION] = 0;
    assert.equal(applyEarlyStop(noSep, 19, 1, rng), false);
  });

  it('sampled trajectories follow the builder masks and end with SEP; the same seed gives the same trajectories', () => {
    const policy = new GflowPolicy({ encoder: 'gnn', seed: 2 });
    try {
      const a = sampleTrajectories(policy, 48, new Rng(9), 1.0);
      const b = sampleTrajectories(policy, 48, new Rng(9), 1.0);
      assert.deepEqual(a.map((t) => t.actions), b.map((t) => t.actions));
      for (const t of a) {
        assert.equal(t.actions[t.actions.length - 1], SEP_ACTION);
        assert.equal(t.tokens.length, t.actions.length - 1);
        assert.ok(t.tokens.length <= 19);
        assert.equal(t.embedding.length, 128);
        const builder = new ExprBuilder();
        t.actions.forEach((action, step) => {
          const legal = builder.validActions();
          const used = t.allowed.subarray(step * N_ACTIONS, (step + 1) * N_ACTIONS);
          for (let x = 0; x < N_ACTIONS; x++) if (used[x]) assert.equal(legal[x], 1, 'the sampler allowed an illegal action');
          assert.equal(used[action], 1);
          if (action !== SEP_ACTION) builder.push(actionToTokenId(action));
        });
      }
    } finally {
      policy.dispose();
    }
  });
});

function readPoolText(dir: string): string {
  return readFileSync(join(dir, 'pool.json'), 'utf8');
}

function metricsOf(dir: string): LogRecord[] {
  return readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as LogRecord);
}

describe('a 200-episode run on 40 stocks', () => {
  before(async () => {
    await useBackend('wasm');
  });

  const runA = join(tmp, 'a');
  const runB = join(tmp, 'b');
  const runC = join(tmp, 'c');

  it('finishes with finite losses and a non-empty pool of valid expressions', async () => {
    const miner = await startRun(SMALL, DATA, runA, 'wasm');
    const tensorsBefore = tf.memory().numTensors;
    const result = await miner.run();
    assert.equal(tf.memory().numTensors, tensorsBefore, 'the mining loop leaks tensors');
    miner.dispose();
    assert.ok(result.finished);
    assert.equal(result.episode, 200);
    assert.ok(result.pool.exprs.length > 0 && result.pool.exprs.length <= 10);
    for (const e of result.pool.exprs) assert.ok(isBuildable(parseExpr(e)), `not a valid expression: ${e}`);
    const records = metricsOf(runA);
    assert.deepEqual(records.map((r) => r.episode), [50, 100, 150, 200]);
    for (const r of records) {
      assert.ok(r.loss !== null && Number.isFinite(r.loss), `loss ${r.loss}`);
      assert.ok(r.test_ic !== null && Number.isFinite(r.test_ic));
    }
    assert.equal(records[3].updates, 6);
    for (const ep of [50, 100, 150, 200]) assert.ok(existsSync(join(runA, `pool_${ep}.json`)));
    const pool = readPoolFile(join(runA, 'pool.json'));
    assert.equal(pool.exprs.length, result.pool.exprs.length);
    assert.ok(result.test && Number.isFinite(result.test.ensemble.ic));
  });

  it('the same seed gives the identical pool', async () => {
    const miner = await startRun(SMALL, DATA, runC, 'wasm');
    await miner.run();
    miner.dispose();
    assert.equal(readPoolText(runC), readPoolText(runA));
  });

  it('kill (mid-window, after a checkpoint) and resume ends with the pool of the uninterrupted run', async () => {
    const first = await startRun(SMALL, DATA, runB, 'wasm');
    const partial = await first.run({ stopAfter: 130 }); // last checkpoint at 100, inside the window 96..127
    first.dispose();
    assert.equal(partial.finished, false);
    assert.ok(!existsSync(join(runB, 'pool.json')));
    const { miner } = await resumeRun(runB);
    assert.equal(miner.episode, 100);
    const result = await miner.run();
    miner.dispose();
    assert.ok(result.finished);
    assert.equal(readPoolText(runB), readPoolText(runA));
    assert.deepEqual(metricsOf(runB).map((r) => [r.episode, r.pool_size, r.loss, r.best_ic]), metricsOf(runA).map((r) => [r.episode, r.pool_size, r.loss, r.best_ic]));
  });

  it('starting a run in a folder that holds one is a user error', async () => {
    await assert.rejects(startRun(SMALL, DATA, runA, 'wasm'), /already holds a mining run/);
  });
});

describe('other encoders and the learned backward policy run end to end', () => {
  before(async () => {
    await useBackend('wasm');
  });

  for (const encoderType of ['lstm', 'transformer'] as const) {
    it(`${encoderType}, learned backward policy: two updates with finite losses`, async () => {
      const config: MinerConfig = { ...SMALL, encoderType, backwardPolicy: 'learned', nEpisodes: 64, logFreq: 64 };
      const miner = await startRun(config, DATA, join(tmp, encoderType), 'wasm');
      const result = await miner.run();
      assert.equal(miner.updates, 2);
      assert.ok(Number.isFinite(miner.lastLoss));
      miner.dispose();
      assert.ok(result.pool.exprs.length > 0);
    });
  }
});

describe('alphasage mine (CLI)', () => {
  const out = join(tmp, 'cli');
  const flags = ['--universe_file', UNIVERSE, '--train', '2015-01-02:2015-06-30', '--test', '2015-07-01:2015-12-31', '--n_episodes', '96', '--log_freq', '48', '--update_freq', '32', '--pool_capacity', '8', '--seed', '3'];

  it('accepts the snake_case flags, stops when asked and resumes to the final table', () => {
    const stopped = runCli(['mine', ...flags, '--out', out, '--stop-after', '60']);
    assert.equal(stopped.status, 0, stopped.stderr);
    assert.match(stopped.stdout, /episode 48\/96 \| pool \d+ \| best IC/);
    assert.match(stopped.stdout, /continue with: alphasage mine --resume/);
    const resumed = runCli(['mine', '--resume', out]);
    assert.equal(resumed.status, 0, resumed.stderr);
    assert.match(resumed.stderr, /resuming .* at episode 48\/96/);
    assert.match(resumed.stdout, /episode 96\/96/);
    assert.match(resumed.stdout, /train IC\s+test IC\s+RankIC/);
    assert.match(resumed.stdout, /test IC -?\d\.\d{4}\s+ICIR/);
    assert.match(resumed.stdout, /run folder: /);
    const whole = runCli(['mine', ...flags, '--out', join(tmp, 'cli-whole'), '--no-progress']);
    assert.equal(whole.status, 0, whole.stderr);
    assert.equal(readFileSync(join(out, 'pool.json'), 'utf8'), readFileSync(join(tmp, 'cli-whole', 'pool.json'), 'utf8'));
  });

  it('a run stopped before its first checkpoint resumes from the start (to the same pool), and the hint names the command given', () => {
    const early = join(tmp, 'cli-early');
    const stopped = runCli(['mine', ...flags, '--out', early, '--stop-after', '20', '--resume-hint', 'npm start -- --resume X']);
    assert.equal(stopped.status, 0, stopped.stderr);
    assert.match(stopped.stdout, /stopped after 20 of 96 episodes; no checkpoint yet, so it starts over: continue with: npm start -- --resume X/);
    assert.ok(!existsSync(join(early, 'checkpoint.json')));
    const resumed = runCli(['mine', '--resume', early]);
    assert.equal(resumed.status, 0, resumed.stderr);
    assert.match(resumed.stderr, /resuming .* at episode 0\/96/);
    assert.equal(readFileSync(join(early, 'pool.json'), 'utf8'), readFileSync(join(tmp, 'cli-whole', 'pool.json'), 'utf8'));
  });

  it('reports bad flags and resume mistakes as one-line user errors', () => {
    const bad = runCli(['mine', '--encoder-type', 'cnn']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--encoder-type must be one of lstm, transformer, gnn/);
    const missing = runCli(['mine', '--resume', join(tmp, 'nope')]);
    assert.ok(isCleanUserError(missing), missing.stderr);
    assert.match(missing.stderr, /not a mining run folder/);
    const changed = runCli(['mine', '--resume', out, '--encoder-type', 'lstm']);
    assert.ok(isCleanUserError(changed), changed.stderr);
    assert.match(changed.stderr, /--encoder-type cannot change when resuming/);
    const window = runCli(['mine', '--train', '2015-13-01']);
    assert.ok(isCleanUserError(window), window.stderr);
    // A setting the checkpoint does not name takes its default, as config.json's do (a setting added later).
    const older = join(tmp, 'cli-older');
    cpSync(out, older, { recursive: true });
    const olderCheckpoint = JSON.parse(readFileSync(join(older, 'checkpoint.json'), 'utf8')) as { config: Record<string, unknown> };
    delete olderCheckpoint.config.logZLearningRate;
    writeFileSync(join(older, 'checkpoint.json'), JSON.stringify(olderCheckpoint));
    const resumedOlder = runCli(['mine', '--resume', older]);
    assert.equal(resumedOlder.status, 0, resumedOlder.stderr);
    assert.match(resumedOlder.stderr, /already finished 96 episodes/);
    // Another run's checkpoint, or a damaged one, is refused in one line and nothing is touched.
    const copy = join(tmp, 'cli-copy');
    cpSync(out, copy, { recursive: true });
    const checkpoint = JSON.parse(readFileSync(join(copy, 'checkpoint.json'), 'utf8')) as { config: { poolCapacity: number }; params?: string };
    checkpoint.config.poolCapacity = 5;
    writeFileSync(join(copy, 'checkpoint.json'), JSON.stringify(checkpoint));
    const metricsBefore = readFileSync(join(copy, 'metrics.jsonl'), 'utf8');
    const foreign = runCli(['mine', '--resume', copy]);
    assert.ok(isCleanUserError(foreign), foreign.stderr);
    assert.match(foreign.stderr, /checkpoint.json was written by another run \(poolCapacity 5 there, 8 in config.json\)/);
    assert.equal(readFileSync(join(copy, 'metrics.jsonl'), 'utf8'), metricsBefore);
    delete checkpoint.params;
    writeFileSync(join(copy, 'checkpoint.json'), JSON.stringify(checkpoint));
    const damaged = runCli(['mine', '--resume', copy]);
    assert.ok(isCleanUserError(damaged), damaged.stderr);
    assert.match(damaged.stderr, /is damaged \(params is missing\)/);
  });
});
