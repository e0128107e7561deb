/**
 * The GFlowNet mining loop (SPEC §5). Per window of `updateFreq` episodes:
 * sample the window's trajectories together with the current policy, evaluate
 * and stage the window's expressions, then episode by episode offer each to
 * the GFN pool and compute its reward (the pool changes after every episode,
 * so this stays sequential), then one trajectory-balance update (one forward pass per
 * trajectory covers all its steps) and an Adam step. Every `logFreq`
 * episodes: a metrics record, pool_<episode>.json and an atomic checkpoint.
 *
 * Expressions are evaluated without the cross-evaluation cache: sampled
 * expressions rarely share costly sub-trees, and a 256 MB cache measured no
 * faster (3,000 episodes, seed 3: the same pool, evaluation 15.4 s with it,
 * 11.1 s without). It would not change results: a cached sub-expression
 * equals its standalone evaluation bit for bit.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StockData } from '../data/types.js';
import { BEG_ID, N_ACTIONS } from '../expr/vocab.js';
import type { TokenBatch } from '../model/encoder.js';
import type { DropoutSource } from '../model/ops.js';
import { GflowPolicy, LOG_Z_PARAM } from '../model/policy.js';
import { tf } from '../model/tf.js';
import { evaluatePool, type PoolEvaluation, type PoolMemberCache } from '../pool/evaluate.js';
import { writePoolFile, type PoolFile, type PoolWindow } from '../pool/file.js';
import { GfnPool } from '../pool/gfn.js';
import { evaluateExpr, evaluateTarget } from '../expr/evaluate.js';
import { writeFileAtomic } from '../util/atomic.js';
import { UserError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { Adam } from './adam.js';
import { CHECKPOINT_VERSION, readCheckpoint, writeCheckpoint, type PendingWindow } from './checkpoint.js';
import { sampleTrajectories, type SampledTrajectory } from './env.js';
import { rewardStaged, stageEpisode, type EpisodeStatus, type RewardTiming, type StagedEpisode } from './reward.js';
import { WeightSchedule } from './schedule.js';
import { trajectoryBalance, type TrajectoryBatch } from './trajectoryBalance.js';

import { FINAL_POOL_FILE, METRICS_FILE, MINER_DEFAULTS, type MinerConfig } from './config.js';
export { FINAL_POOL_FILE, METRICS_FILE, MINER_DEFAULTS, type MinerConfig } from './config.js';

export interface MinerData {
  train: StockData;
  /** Scored at every log (the pool's test IC / RankIC); optional. */
  test?: StockData;
  /** Written into pool files. */
  window: PoolWindow;
}

export interface LogRecord {
  episode: number;
  pool_size: number;
  best_ic: number;
  test_ic: number | null;
  test_rank_ic: number | null;
  loss: number | null;
  log_z: number;
  /** Mean reward of the episodes since the previous record. */
  mean_reward: number;
  /** Share of those episodes whose expression was valid and in range. */
  valid_ratio: number;
  /** Pool admissions since the previous record. */
  admitted: number;
  ssl_weight: number;
  nov_weight: number;
  updates: number;
  elapsed_s: number;
  episodes_per_s: number;
}

/** Where the time goes, in ms (this process only). */
export interface MinerProfile {
  sampling: number;
  evaluation: number;
  pool: number;
  update: number;
  logging: number;
  episodes: number;
}

export interface MinerHooks {
  /** After every episode. */
  onEpisode?: (miner: Miner) => void;
  /** After every log record (and its checkpoint). */
  onLog?: (record: LogRecord, miner: Miner) => void;
}

export interface MinerResult {
  episode: number;
  finished: boolean;
  pool: PoolFile;
  test?: PoolEvaluation;
}


/** Inverted dropout masks drawn from the run's Rng (so they are part of the reproducible stream). */
class RngDropout implements DropoutSource {
  constructor(
    private readonly rng: Rng,
    readonly rate: number,
  ) {}

  mask(size: number): Float32Array {
    const out = new Float32Array(size);
    const keep = 1 / (1 - this.rate);
    for (let i = 0; i < size; i++) out[i] = this.rng.next() < this.rate ? 0 : keep;
    return out;
  }
}

/** Token batch (the states s_0..s_{L-1} of each trajectory) and trajectory-balance inputs of a window. */
export function windowBatch(trajectories: readonly SampledTrajectory[], logRewards: Float32Array): { tokens: TokenBatch; tb: TrajectoryBatch } {
  const B = trajectories.length;
  const S = Math.max(...trajectories.map((t) => t.actions.length));
  const tokens = new Int32Array(B * S).fill(BEG_ID);
  const actions = new Int32Array(B * S).fill(-1);
  const allowed = new Uint8Array(B * S * N_ACTIONS);
  const lengths = new Int32Array(B);
  trajectories.forEach((t, b) => {
    lengths[b] = t.actions.length;
    for (let i = 0; i < t.tokens.length && i + 1 < S; i++) tokens[b * S + i + 1] = t.tokens[i];
    t.actions.forEach((a, i) => (actions[b * S + i] = a));
    allowed.set(t.allowed, b * S * N_ACTIONS);
  });
  return { tokens: { tokens, batch: B, length: S }, tb: { batch: B, steps: S, actions, allowed, lengths, logRewards } };
}

export class Miner {
  readonly policy: GflowPolicy;
  readonly adam: Adam;
  readonly pool: GfnPool;
  readonly rng: Rng;
  readonly schedule: WeightSchedule;
  /** Test-window scores of current members, reused across logs. */
  private readonly testCache: PoolMemberCache = new Map();
  readonly profile: MinerProfile = { sampling: 0, evaluation: 0, pool: 0, update: 0, logging: 0, episodes: 0 };
  /** Episodes completed. */
  episode = 0;
  updates = 0;
  skippedUpdates = 0;
  lastLoss = NaN;
  lastTest: PoolEvaluation | undefined;
  /** Episode of the last checkpoint written (or restored). */
  checkpointEpisode = 0;
  private pending: PendingWindow | null = null;
  private elapsedBeforeMs = 0;
  private startedAt = performance.now();
  private episodesAtStart = 0;
  private sinceLog = { episodes: 0, reward: 0, valid: 0, admitted: 0 };

  private constructor(
    readonly config: MinerConfig,
    readonly data: MinerData,
    /** Run folder for checkpoints and pool files; none = in memory only. */
    readonly runDir: string | undefined,
  ) {
    this.policy = new GflowPolicy({ encoder: config.encoderType, seed: config.seed, backwardPolicy: config.backwardPolicy });
    this.adam = new Adam(this.policy.params, config.learningRate, 0.9, 0.999, 1e-8, new Map(config.logZLearningRate === null ? [] : [[LOG_Z_PARAM, config.logZLearningRate]]));
    this.rng = new Rng(config.seed);
    this.schedule = new WeightSchedule(config.weightDecayType, { ssl: config.sslWeight, novelty: config.novWeight }, config.finalWeightRatio, config.nEpisodes);
    this.pool = new GfnPool(this.poolOptions());
  }

  private poolOptions() {
    const { train } = this.data;
    return { capacity: this.config.poolCapacity, target: evaluateTarget(train), nDays: train.nDays, nStocks: train.nStocks, stageCapacity: this.config.updateFreq, admitFlat: this.config.admitFlatAlphas };
  }

  /** A fresh run. */
  static create(config: MinerConfig, data: MinerData, runDir?: string): Miner {
    return new Miner(config, data, runDir);
  }

  /**
   * Continues the run in `runDir` from its checkpoint (same config and data as it was started with).
   * A run stopped before its first checkpoint starts over: same settings and seed, so the same run.
   */
  static resume(config: MinerConfig, data: MinerData, runDir: string): Miner {
    const c = readCheckpoint(runDir);
    if (!c) {
      const fresh = new Miner(config, data, runDir);
      fresh.truncateMetrics(0);
      return fresh;
    }
    if (c.config !== undefined) {
      // Settings added after the checkpoint was written take their defaults, as config.json's do (readRunConfig).
      const written: MinerConfig = { ...MINER_DEFAULTS, ...c.config };
      const differ = (Object.keys(config) as (keyof MinerConfig)[]).filter((k) => JSON.stringify(written[k]) !== JSON.stringify(config[k]));
      if (differ.length > 0) {
        throw new UserError(`${runDir}: checkpoint.json was written by another run (${differ.map((k) => `${k} ${JSON.stringify(written[k])} there, ${JSON.stringify(config[k])} in config.json`).join('; ')}); restore this run's own checkpoint or start a new run.`);
      }
    }
    if (c.episode > config.nEpisodes) throw new UserError(`${runDir}: checkpoint.json is at episode ${c.episode}, past the run's ${config.nEpisodes}; restore this run's own checkpoint or start a new run.`);
    if (c.pool.exprs.length > config.poolCapacity) throw new UserError(`${runDir}: checkpoint.json holds ${c.pool.exprs.length} alphas, more than the run's pool capacity ${config.poolCapacity}; restore this run's own files or start a new run.`);
    const m = new Miner(config, data, runDir);
    if (JSON.stringify(c.paramManifest) !== JSON.stringify(m.policy.params.manifest())) {
      throw new UserError(`${runDir}: the checkpoint's network does not match the run's settings (encoder or backward policy changed in config.json, or operators added to the operator table since?); start a new run.`);
    }
    m.policy.params.importFlat(c.params);
    m.adam.restore(c.adam);
    (m as { rng: Rng }).rng = new Rng(c.rng);
    (m as { pool: GfnPool }).pool = GfnPool.fromPoolFile(c.pool, m.poolOptions(), (expr) => evaluateExpr(expr, data.train));
    m.episode = c.episode;
    m.checkpointEpisode = c.episode;
    m.episodesAtStart = c.episode;
    m.pending = c.pending;
    m.updates = c.stats.updates;
    m.skippedUpdates = c.stats.skippedUpdates;
    m.lastLoss = c.stats.lastLoss ?? NaN;
    m.elapsedBeforeMs = c.stats.elapsedMs;
    m.truncateMetrics(c.episode);
    return m;
  }

  /** Drops metrics records written after the checkpoint (a kill between the two writes). */
  private truncateMetrics(episode: number): void {
    if (!this.runDir) return;
    const path = join(this.runDir, METRICS_FILE);
    if (!existsSync(path)) return;
    const kept = readFileSync(path, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .filter((l) => {
        try {
          return (JSON.parse(l) as LogRecord).episode <= episode;
        } catch {
          return false;
        }
      });
    writeFileAtomic(path, kept.map((l) => l + '\n').join(''));
  }

  get finished(): boolean {
    return this.episode >= this.config.nEpisodes;
  }

  /** Wall time of the whole run so far, including before a resume (ms). */
  get elapsedMs(): number {
    return this.elapsedBeforeMs + (performance.now() - this.startedAt);
  }

  /** Episodes per second in this process. */
  get episodesPerSecond(): number {
    const s = (performance.now() - this.startedAt) / 1000;
    return s > 0 ? (this.episode - this.episodesAtStart) / s : 0;
  }

  /**
   * Runs until n_episodes (or until `stopAfter` episodes are done in total,
   * which simulates a kill: nothing is written after the last checkpoint).
   */
  async run(opts: { stopAfter?: number; hooks?: MinerHooks } = {}): Promise<MinerResult> {
    const { nEpisodes, updateFreq, logFreq } = this.config;
    const stopAt = Math.min(nEpisodes, opts.stopAfter ?? nEpisodes);
    this.startedAt = performance.now();
    this.episodesAtStart = this.episode;
    const timing: RewardTiming = { evaluateMs: 0, poolMs: 0 };
    /** The current window's episodes from `processed` on, evaluated and staged in the pool. */
    let staged: Map<number, StagedEpisode> | undefined;
    this.pool.releaseStaged(); // none left from an earlier run() stopped mid-window
    while (this.episode < stopAt) {
      if (!this.pending) {
        const size = Math.min(updateFreq, nEpisodes - this.episode);
        const t0 = performance.now();
        const trajectories = sampleTrajectories(this.policy, size, this.rng, this.config.maskDropoutProb);
        this.profile.sampling += performance.now() - t0;
        this.pending = { start: this.episode, trajectories, logRewards: new Float32Array(size), processed: 0 };
        await new Promise((r) => setImmediate(r)); // let signals and timers run once per window
      }
      const w = this.pending;
      if (!staged?.has(w.processed)) {
        // Evaluate and stage the window's next episodes (all of them when the pool has room), then their ICs
        // with the target and the members in one batch: the members' values are read once per batch, not
        // once per candidate.
        this.pool.releaseStaged();
        staged = new Map();
        const end = Math.min(w.trajectories.length, w.processed + this.pool.stageCapacity);
        for (let i = w.processed; i < end; i++) staged.set(i, stageEpisode(w.trajectories[i].tokens, this.pool, this.data.train, timing));
        const t0 = performance.now();
        this.pool.prepareStaged();
        timing.poolMs += performance.now() - t0;
      }
      const traj = w.trajectories[w.processed];
      const weights = this.schedule.at(this.episode);
      const r = rewardStaged(staged.get(w.processed) as StagedEpisode, traj.embedding, this.pool, weights, timing);
      w.logRewards[w.processed++] = r.logReward;
      this.episode++;
      this.profile.episodes++;
      this.noteEpisode(r.status, r.reward, r.admitted);
      if (w.processed === w.trajectories.length) {
        // A full window gets its update; a shorter last window does not (as in the published loop).
        if (w.trajectories.length === updateFreq) this.update(w);
        this.pending = null;
        this.pool.releaseStaged();
        staged = undefined;
      }
      opts.hooks?.onEpisode?.(this);
      if (this.episode % logFreq === 0 || this.episode === nEpisodes) {
        const record = this.logAndCheckpoint(weights);
        opts.hooks?.onLog?.(record, this);
      }
    }
    this.pool.releaseStaged();
    this.profile.evaluation = timing.evaluateMs;
    this.profile.pool = timing.poolMs;
    const pool = this.poolFile();
    if (this.finished && !this.lastTest && this.data.test && pool.exprs.length > 0) this.lastTest = evaluatePool(pool, this.data.test, this.testCache);
    if (this.finished && this.runDir) writePoolFile(join(this.runDir, FINAL_POOL_FILE), pool);
    return { episode: this.episode, finished: this.finished, pool, test: this.lastTest };
  }

  private noteEpisode(status: EpisodeStatus, reward: number, admitted: boolean): void {
    this.sinceLog.episodes++;
    this.sinceLog.reward += reward;
    if (status === 'valid') this.sinceLog.valid++;
    if (admitted) this.sinceLog.admitted++;
  }

  /** One trajectory-balance step over a full window. */
  private update(w: PendingWindow): void {
    const t0 = performance.now();
    const { tokens, tb } = windowBatch(w.trajectories, w.logRewards);
    const rate = this.policy.dropoutRate;
    const dropout = rate > 0 && this.policy.encoder.type !== 'gnn' ? new RngDropout(this.rng, rate) : undefined;
    const vars = this.policy.params.variables();
    const { value, grads } = tf.variableGrads(() => {
      const out = this.policy.prefixOutputs(tokens, dropout);
      const terms = trajectoryBalance(tb, out.forwardLogits, this.policy.logZ, { entropyCoef: this.config.entropyCoef, entropyTemperature: this.config.entropyTemperature }, out.backwardLogits);
      return terms.loss;
    }, vars);
    const loss = value.dataSync()[0];
    if (Number.isFinite(loss)) {
      this.adam.apply(vars.map((v) => grads[v.name]));
      this.updates++;
    } else {
      this.skippedUpdates++;
    }
    this.lastLoss = loss;
    value.dispose();
    for (const k of Object.keys(grads)) grads[k].dispose();
    this.profile.update += performance.now() - t0;
  }

  poolFile(): PoolFile {
    return this.pool.toPoolFile({ window: this.data.window, seed: this.config.seed });
  }

  private logAndCheckpoint(weights: { ssl: number; novelty: number }): LogRecord {
    const t0 = performance.now();
    const pool = this.poolFile();
    let testIc: number | null = null;
    let testRankIc: number | null = null;
    if (this.data.test && pool.exprs.length > 0) {
      this.lastTest = evaluatePool(pool, this.data.test, this.testCache);
      testIc = this.lastTest.ensemble.ic;
      testRankIc = Number.isFinite(this.lastTest.ensemble.rank_ic) ? this.lastTest.ensemble.rank_ic : null;
    }
    const n = Math.max(this.sinceLog.episodes, 1);
    const record: LogRecord = {
      episode: this.episode,
      pool_size: this.pool.size,
      best_ic: this.pool.bestAbsIC(),
      test_ic: testIc,
      test_rank_ic: testRankIc,
      loss: Number.isFinite(this.lastLoss) ? this.lastLoss : null,
      log_z: this.policy.logZ.dataSync()[0],
      mean_reward: this.sinceLog.reward / n,
      valid_ratio: this.sinceLog.valid / n,
      admitted: this.sinceLog.admitted,
      ssl_weight: weights.ssl,
      nov_weight: weights.novelty,
      updates: this.updates,
      elapsed_s: this.elapsedMs / 1000,
      episodes_per_s: this.episodesPerSecond,
    };
    this.sinceLog = { episodes: 0, reward: 0, valid: 0, admitted: 0 };
    if (this.runDir) {
      writePoolFile(join(this.runDir, `pool_${this.episode}.json`), pool);
      // The record first: a kill before the checkpoint leaves a record past it, which
      // resume drops and rewrites; the other order would lose the record for good.
      appendFileSync(join(this.runDir, METRICS_FILE), JSON.stringify(record) + '\n');
      writeCheckpoint(this.runDir, {
        version: CHECKPOINT_VERSION,
        config: this.config,
        episode: this.episode,
        rng: this.rng.state(),
        params: this.policy.params.exportFlat(),
        paramManifest: this.policy.params.manifest(),
        adam: this.adam.state(),
        pool,
        pending: this.pending,
        stats: { updates: this.updates, lastLoss: this.lastLoss, skippedUpdates: this.skippedUpdates, elapsedMs: this.elapsedMs },
      });
      this.checkpointEpisode = this.episode;
    }
    this.profile.logging += performance.now() - t0;
    return record;
  }

  dispose(): void {
    this.policy.dispose();
  }
}
