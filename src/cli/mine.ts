/**
 * `alphasage mine`: the GFlowNet miner (SPEC §5) with the published
 * command's flags (kebab-case here; the snake_case spellings are rewritten
 * by main.ts), a progress bar, a line per log_freq, and the final pool table.
 */
import { SingleBar, Presets } from 'cli-progress';
import { Option, type Command } from 'commander';
import { join, resolve } from 'node:path';
import { daySpan, SPLITS } from '../data/index.js';
import { BACKWARD_POLICIES, ENCODER_TYPES, TF_BACKENDS, type BackwardPolicy, type EncoderType, type TfBackendName } from '../model/names.js';
import { FINAL_POOL_FILE, METRICS_FILE, MINER_DEFAULTS, type MinerConfig } from '../miner/config.js';
import type { DataSpec } from '../miner/data.js';
import type { LogRecord, Miner, MinerResult } from '../miner/miner.js';
import { WEIGHT_DECAY_TYPES, type WeightDecayType } from '../miner/schedule.js';
import { UserError } from '../util/errors.js';
import { choiceFlag, floatFlag, intFlag, nanRankIcNote, outDirFlag, parseWindow } from './common.js';

/** Settings a preset changes (flags given explicitly still win). */
export const PRESETS: Record<string, { description: string; config: Partial<MinerConfig> }> = {
  quick: {
    description: '6,000 episodes, a log line every 1,000 (under a minute on 2 cores; the 10,000-episode default about a minute and a quarter)',
    config: { nEpisodes: 6000, logFreq: 1000 },
  },
};

/** The miner's settings as flags (log Z's own rate is optional), plus the command's own. */
interface MineOptions extends Omit<MinerConfig, 'logZLearningRate'> {
  logZLearningRate?: number;
  instrument: string;
  qlibDir?: string;
  universeFile?: string;
  train: string;
  test: string | false;
  out?: string;
  resume?: string;
  preset?: string;
  backend: TfBackendName;
  stopAfter?: number;
  progress: boolean;
  resumeHint?: string;
}

/** Option key -> MinerConfig key, for the settings a run stores. */
const CONFIG_KEYS: readonly (keyof MinerConfig)[] = [
  'seed', 'poolCapacity', 'logFreq', 'updateFreq', 'nEpisodes', 'encoderType', 'entropyCoef', 'entropyTemperature',
  'maskDropoutProb', 'sslWeight', 'novWeight', 'weightDecayType', 'finalWeightRatio', 'backwardPolicy', 'learningRate', 'logZLearningRate',
  'admitFlatAlphas',
];

const kebab = (key: string): string => '--' + key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());

export function registerMine(program: Command): void {
  const d = MINER_DEFAULTS;
  program
    .command('mine')
    .description('Mine a pool of formulaic alphas with the structure-aware GFlowNet (AlphaSAGE) and report its test IC / RankIC.')
    .option('--seed <n>', 'random seed (weights, sampling): same seed + data + flags -> same pool', intFlag('--seed', 0, 2 ** 32 - 1), d.seed)
    .option('--instrument <name>', 'universe name (instruments/<name>.txt of the Qlib folder)', 'all')
    .option('--pool-capacity <n>', 'alphas kept in the pool', intFlag('--pool-capacity', 1, 1000), d.poolCapacity)
    .option('--log-freq <n>', 'episodes between log lines, pool_<episode>.json files and checkpoints', intFlag('--log-freq', 1), d.logFreq)
    .option('--update-freq <n>', 'episodes per gradient update (trajectories per Adam step)', intFlag('--update-freq', 1, 4096), d.updateFreq)
    .option('--n-episodes <n>', 'episodes (sampled expressions) in the run', intFlag('--n-episodes', 1), d.nEpisodes)
    .option('--encoder-type <type>', `state encoder: ${ENCODER_TYPES.join(', ')}`, choiceFlag('--encoder-type', ENCODER_TYPES), d.encoderType)
    .option('--entropy-coef <x>', 'weight of the entropy bonus in the loss', floatFlag('--entropy-coef', 0), d.entropyCoef)
    .option('--entropy-temperature <x>', 'softmax temperature of the entropy bonus', floatFlag('--entropy-temperature', 1e-6), d.entropyTemperature)
    .option('--mask-dropout-prob <p>', 'early stop: when SEP is allowed, mask all else with probability p x length/20', floatFlag('--mask-dropout-prob', 0, 1), d.maskDropoutProb)
    .option('--ssl-weight <x>', 'initial weight of the structural consistency reward', floatFlag('--ssl-weight', 0), d.sslWeight)
    .option('--nov-weight <x>', 'initial weight of the novelty reward', floatFlag('--nov-weight', 0), d.novWeight)
    .option('--weight-decay-type <type>', `decay of the ssl / novelty weights: ${WEIGHT_DECAY_TYPES.join(', ')}`, choiceFlag('--weight-decay-type', WEIGHT_DECAY_TYPES), d.weightDecayType)
    .option('--final-weight-ratio <x>', 'final ssl / novelty weight as a fraction of the initial one', floatFlag('--final-weight-ratio', 0), d.finalWeightRatio)
    .option('--backward-policy <p>', `exact (log P_B = 0: every state has one parent) or learned (the published 61-logit head)`, choiceFlag('--backward-policy', BACKWARD_POLICIES), d.backwardPolicy)
    .option('--learning-rate <x>', 'Adam learning rate (log Z included)', floatFlag('--learning-rate', 0), d.learningRate)
    .option('--log-z-learning-rate <x>', 'Adam learning rate of log Z alone (default: --learning-rate, as published)', floatFlag('--log-z-learning-rate', 0))
    .option('--admit-flat-alphas', 'as published: an alpha with no cross-sectional spread (a constant) enters the GFN pool with novelty 1 (default: refused with novelty 0, like a near-duplicate)', false)
    .option('--qlib-dir <dir>', 'Qlib data folder (default: the bundled S&P 500 set)')
    .option('--universe-file <file>', 'a Qlib instruments file to use instead of --instrument')
    .option('--train <window>', `mining window: a split (${Object.keys(SPLITS).join(', ')}) or START:END`, 'train')
    .option('--test <window>', 'window the pool is scored on at every log and at the end', 'test')
    .option('--no-test', 'do not score the pool on a test window')
    .option('--out <dir>', 'run folder (default: runs/mine-<encoder>-seed<seed>-<time>)', outDirFlag('--out'))
    .option('--resume <run>', 'continue a stopped run from its last checkpoint (its settings come from <run>/config.json)')
    .option('--preset <name>', `settings bundle: ${Object.entries(PRESETS).map(([k, v]) => `${k} = ${v.description}`).join('; ')}`)
    .option('--backend <name>', `TensorFlow.js backend: ${TF_BACKENDS.join(', ')}`, choiceFlag('--backend', TF_BACKENDS), 'wasm' as TfBackendName)
    .option('--stop-after <n>', 'stop after this many episodes in total, as if killed (continue with --resume)', intFlag('--stop-after', 1))
    .option('--no-progress', 'no progress bar')
    .addOption(new Option('--resume-hint <command>', 'the command an interrupted run tells the user to continue with (set by start)').hideHelp())
    .action(async (opts: MineOptions, cmd: Command) => {
      const given = (key: string): boolean => cmd.getOptionValueSource(key) === 'cli';
      // Loaded here, not at startup: TensorFlow.js takes about a second to load, which the other commands need not pay.
      const { readRunConfig, resumeRun, startRun } = await import('../miner/run.js');
      const { useBackend } = await import('../model/tf.js');
      let miner: Miner;
      let runDir: string;
      if (opts.resume !== undefined) {
        const prior = readRunConfig(opts.resume);
        for (const key of [...CONFIG_KEYS, 'preset', 'qlibDir', 'universeFile', 'train', 'test', 'out', 'instrument', 'backend'] as const) {
          if (!given(key)) continue;
          const stored = (prior.config as unknown as Record<string, unknown>)[key];
          if (stored !== undefined && stored === (opts as unknown as Record<string, unknown>)[key]) continue;
          throw new UserError(`${kebab(key)} cannot change when resuming: ${opts.resume} was started with its own settings (see its config.json); drop the flag, or start a new run with --out.`);
        }
        await useBackend(prior.backend === 'cpu' ? 'cpu' : 'wasm');
        ({ miner } = await resumeRun(opts.resume));
        runDir = resolve(opts.resume);
        if (miner.finished) process.stderr.write(`${opts.resume} already finished ${miner.episode} episodes; showing its pool.\n`);
        else process.stderr.write(`resuming ${opts.resume} at episode ${miner.episode}/${miner.config.nEpisodes}\n`);
      } else {
        const config: MinerConfig = { ...MINER_DEFAULTS };
        for (const key of CONFIG_KEYS) (config as unknown as Record<string, unknown>)[key] = (opts as unknown as Record<string, unknown>)[key] ?? null;
        if (opts.preset !== undefined) {
          const preset = PRESETS[opts.preset];
          if (!preset) throw new UserError(`unknown --preset '${opts.preset}'; use one of ${Object.keys(PRESETS).join(', ')}.`);
          for (const [key, value] of Object.entries(preset.config)) if (!given(key)) (config as unknown as Record<string, unknown>)[key] = value;
        }
        if (given('instrument') && opts.universeFile !== undefined) throw new UserError('give either --instrument or --universe-file, not both.');
        const data: DataSpec = {
          qlibDir: opts.qlibDir === undefined ? null : resolve(opts.qlibDir),
          instrument: opts.instrument,
          universeFile: opts.universeFile === undefined ? null : resolve(opts.universeFile),
          train: parseWindow('--train', opts.train),
          test: opts.test === false ? null : parseWindow('--test', opts.test),
        };
        if (data.test !== null && data.test.start <= data.train.end && data.train.start <= data.test.end) {
          process.stderr.write(`note: the test window ${data.test.start}..${data.test.end} overlaps the train window ${data.train.start}..${data.train.end}, so the test ICs are partly in sample.\n`);
        }
        runDir = resolve(opts.out ?? join('runs', `mine-${config.encoderType}-seed${config.seed}-${timestamp()}`));
        await useBackend(opts.backend);
        miner = await startRun(config, data, runDir, opts.backend);
        if (config.weightDecayType === 'exponential' && config.finalWeightRatio === 0 && (config.sslWeight > 0 || config.novWeight > 0)) {
          // gamma = 0^(1/N) = 0, as PyTorch's ExponentialLR would have it: the weights are 0 after the first episode.
          process.stderr.write('note: --weight-decay-type exponential with --final-weight-ratio 0 zeroes the ssl and novelty weights after the first episode; give a ratio above 0 (e.g. 0.01) for a gradual decay.\n');
        }
        const testSpan = miner.data.test ? `; test IC and RankIC on ${daySpan(miner.data.test)}` : '';
        process.stderr.write(`mining ${config.nEpisodes} episodes with the ${config.encoderType} encoder on ${miner.data.train.nStocks} stocks x ${miner.data.train.nDays} days (${miner.data.window.start}..${miner.data.window.end})${testSpan} -> ${runDir}\n`);
      }
      const resumeHint = opts.resumeHint ?? `alphasage mine --resume ${runDir}`;
      // Ctrl-C: the loop yields once per window, so this runs within a second; the last checkpoint stays.
      const onInterrupt = (): void => {
        if (process.stderr.isTTY) process.stderr.write('\r\x1b[K\x1b[?25h\n'); // clear the bar, show the cursor
        const from = miner.checkpointEpisode > 0 ? `the last checkpoint is at episode ${miner.checkpointEpisode}` : 'no checkpoint yet, so it starts over';
        process.stderr.write(`interrupted at episode ${miner.episode}; ${from}: continue with ${resumeHint}\n`);
        process.exit(130);
      };
      process.once('SIGINT', onInterrupt);
      process.once('SIGTERM', onInterrupt);
      try {
        const result = await runWithProgress(miner, opts.stopAfter, opts.progress !== false);
        printResult(miner, result, runDir, resumeHint);
      } finally {
        process.removeListener('SIGINT', onInterrupt);
        process.removeListener('SIGTERM', onInterrupt);
        miner.dispose();
      }
    });
}

function timestamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

const fmt = (x: number | null | undefined, digits = 4): string => (x === null || x === undefined ? '-' : Number.isFinite(x) ? x.toFixed(digits) : 'NaN');

export function formatLogLine(r: LogRecord, total: number): string {
  return (
    `episode ${r.episode}/${total} | pool ${r.pool_size} | best IC ${fmt(r.pool_size > 0 ? r.best_ic : undefined)} | test IC ${fmt(r.test_ic)} RankIC ${fmt(r.test_rank_ic)}` +
    ` | loss ${r.loss === null ? '-' : r.loss.toFixed(1)} | log Z ${r.log_z.toFixed(4)} | mean R ${r.mean_reward.toFixed(4)} | valid ${(100 * r.valid_ratio).toFixed(0)}% | ${r.episodes_per_s.toFixed(1)} eps/s`
  );
}

async function runWithProgress(miner: Miner, stopAfter: number | undefined, showBar: boolean): Promise<MinerResult> {
  const total = miner.config.nEpisodes;
  const tty = process.stderr.isTTY === true;
  const bar = showBar && tty
    ? new SingleBar(
        {
          format: 'mine [{bar}] {value}/{total} | {speed} eps/s | ETA {eta_formatted} | pool {pool} | best IC {best}',
          stream: process.stderr,
          hideCursor: true,
          etaBuffer: 256,
          fps: 5,
        },
        Presets.shades_classic,
      )
    : undefined;
  bar?.start(total, miner.episode, { speed: '0.0', pool: miner.pool.size, best: fmt(miner.pool.size > 0 ? miner.pool.bestAbsIC() : undefined) });
  try {
    return await miner.run({
      stopAfter,
      hooks: {
        onEpisode: (m) => bar?.update(m.episode, { speed: m.episodesPerSecond.toFixed(1), pool: m.pool.size, best: fmt(m.pool.size > 0 ? m.pool.bestAbsIC() : undefined) }),
        onLog: (r) => {
          if (bar) process.stderr.write('\r\x1b[K');
          process.stdout.write(formatLogLine(r, total) + '\n');
        },
      },
    });
  } finally {
    bar?.stop();
  }
}

function printResult(miner: Miner, result: MinerResult, runDir: string, resumeHint: string): void {
  if (!result.finished) {
    const from = miner.checkpointEpisode > 0 ? `the last checkpoint is at episode ${miner.checkpointEpisode}` : 'no checkpoint yet, so it starts over';
    console.log(`stopped after ${result.episode} of ${miner.config.nEpisodes} episodes; ${from}: continue with: ${resumeHint}`);
    return;
  }
  const pool = result.pool;
  const test = result.test;
  const windows = `train ${daySpan(miner.data.train)}` + (miner.data.test ? `, test ${daySpan(miner.data.test)}` : '');
  console.log(`\nmined pool: ${pool.exprs.length} alphas after ${result.episode} episodes (${(miner.elapsedMs / 1000).toFixed(0)} s; ${windows})`);
  if (pool.exprs.length === 0) {
    console.log('the pool is empty: no expression was admitted (the log shows the share of valid ones); run more episodes.');
  } else {
    const order = pool.exprs.map((_, i) => i).sort((a, b) => Math.abs(pool.ics?.[b] ?? 0) - Math.abs(pool.ics?.[a] ?? 0));
    const width = String(pool.exprs.length).length;
    console.log(`${'#'.padStart(width)}  ${'train IC'.padStart(8)}  ${'test IC'.padStart(8)}  ${'RankIC'.padStart(8)}  ${'weight'.padStart(8)}  expression`);
    for (const i of order) {
      const m = test?.members[i];
      console.log(`${String(i + 1).padStart(width)}  ${fmt(pool.ics?.[i]).padStart(8)}  ${fmt(m?.ic).padStart(8)}  ${fmt(m?.rank_ic).padStart(8)}  ${fmt(pool.weights[i]).padStart(8)}  ${pool.exprs[i]}`);
    }
    const note = nanRankIcNote(test?.members.map((m) => m.rank_ic) ?? []);
    if (note) console.log(note);
    if (test) {
      console.log(`pool combined with its weights (AlphaGen's least squares on the mutual-IC matrix, fitted on train): test IC ${fmt(test.ensemble.ic)}  ICIR ${fmt(test.ensemble.icir)}  RankIC ${fmt(test.ensemble.rank_ic)}  RankICIR ${fmt(test.ensemble.rank_icir)}`);
    }
  }
  const p = miner.profile;
  const sec = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  console.log(`time in this process: sampling ${sec(p.sampling)}, evaluation ${sec(p.evaluation)}, pool (IC, mutual IC, consistency) ${sec(p.pool)}, updates ${sec(p.update)}, logs and checkpoints ${sec(p.logging)}`);
  console.log(`run folder: ${runDir} (${FINAL_POOL_FILE}, pool_<episode>.json, ${METRICS_FILE}, checkpoint.json, config.json)`);
}
