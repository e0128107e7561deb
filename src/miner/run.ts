/**
 * A mining run on disk: <runDir>/config.json (settings + data spec, so
 * --resume needs nothing else), checkpoint.json, metrics.jsonl,
 * pool_<episode>.json at every log, pool.json at the end.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeJsonAtomic } from '../util/atomic.js';
import { UserError } from '../util/errors.js';
import { CHECKPOINT_FILE } from './checkpoint.js';
import { loadMinerData, type DataSpec } from './data.js';
import { Miner, MINER_DEFAULTS, type MinerConfig } from './miner.js';

export const RUN_CONFIG_FILE = 'config.json';

export interface RunConfigFile {
  version: 1;
  config: MinerConfig;
  data: DataSpec;
  backend: string;
  created: string;
}

/** Starts a new run in `runDir` (which must not hold one already). */
export async function startRun(config: MinerConfig, data: DataSpec, runDir: string, backend: string): Promise<Miner> {
  const dir = resolve(runDir);
  if (existsSync(join(dir, RUN_CONFIG_FILE)) || existsSync(join(dir, CHECKPOINT_FILE))) {
    throw new UserError(`${dir} already holds a mining run; continue it with --resume ${runDir}, or choose another --out.`);
  }
  const loaded = await loadMinerData(data);
  const file: RunConfigFile = { version: 1, config, data, backend, created: new Date().toISOString() };
  writeJsonAtomic(join(dir, RUN_CONFIG_FILE), file);
  return Miner.create(config, loaded, dir);
}

export function readRunConfig(runDir: string): RunConfigFile {
  const path = join(resolve(runDir), RUN_CONFIG_FILE);
  if (!existsSync(path)) throw new UserError(`${runDir} is not a mining run folder (no ${RUN_CONFIG_FILE}); give the folder a previous 'alphasage mine' wrote (its --out).`);
  let file: RunConfigFile;
  try {
    file = JSON.parse(readFileSync(path, 'utf8')) as RunConfigFile;
  } catch (e) {
    throw new UserError(`${path} is not valid JSON (${(e as Error).message}); start a new run.`);
  }
  // Settings added after the run was written take their defaults.
  file.config = { ...MINER_DEFAULTS, ...file.config };
  const c = file.config;
  for (const key of ['nEpisodes', 'logFreq', 'updateFreq', 'poolCapacity'] as const) {
    if (!Number.isInteger(c[key]) || c[key] < 1) throw new UserError(`${path}: ${key} is ${JSON.stringify(c[key])}, not a positive integer; fix it or start a new run.`);
  }
  if (!Number.isInteger(c.seed) || c.seed < 0) throw new UserError(`${path}: seed is ${JSON.stringify(c.seed)}, not an integer >= 0; fix it or start a new run.`);
  if (!file.data || typeof file.data !== 'object' || !file.data.train) throw new UserError(`${path} has no data window (data.train); start a new run.`);
  return file;
}

/** Continues the run in `runDir` from its last checkpoint. */
export async function resumeRun(runDir: string): Promise<{ miner: Miner; file: RunConfigFile }> {
  const file = readRunConfig(runDir);
  const loaded = await loadMinerData(file.data);
  return { miner: Miner.resume(file.config, loaded, resolve(runDir)), file };
}
