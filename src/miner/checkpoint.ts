/**
 * Run checkpoints: everything a killed run needs to continue exactly as if
 * it had not stopped (network weights incl. log Z, Adam moments, the Rng
 * state, the pool, the episode, and the sampled-but-unfinished window of
 * trajectories). One JSON file, written atomically; typed arrays as base64
 * of their little-endian bytes, so float32 values round-trip bit for bit.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PoolFile } from '../pool/file.js';
import { writeFileAtomic } from '../util/atomic.js';
import { UserError } from '../util/errors.js';
import type { MinerConfig } from './config.js';
import type { SampledTrajectory } from './env.js';

export const CHECKPOINT_FILE = 'checkpoint.json';
export const CHECKPOINT_VERSION = 1;

export interface PendingWindow {
  /** Episode index (0-based) of the window's first trajectory. */
  start: number;
  trajectories: SampledTrajectory[];
  /** log R of the trajectories processed so far. */
  logRewards: Float32Array;
  processed: number;
}

export interface MinerCheckpoint {
  version: number;
  /** The run's settings when it was written: resume refuses a checkpoint of another run (absent in older files). */
  config?: MinerConfig;
  /** Episodes completed. */
  episode: number;
  rng: number[];
  params: Float32Array;
  paramManifest: { name: string; shape: number[] }[];
  adam: { step: number; m: Float32Array; v: Float32Array };
  pool: PoolFile;
  pending: PendingWindow | null;
  /** Counters carried across a resume (display only). */
  stats: { updates: number; lastLoss: number; skippedUpdates: number; elapsedMs: number };
}

export function encodeF32(a: Float32Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
}

export function decodeF32(s: string): Float32Array {
  const buf = Buffer.from(s, 'base64');
  const out = new Float32Array(buf.byteLength / 4);
  new Uint8Array(out.buffer).set(buf);
  return out;
}

function encodeU8(a: Uint8Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
}

function decodeU8(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'base64'));
}

interface PendingJson {
  start: number;
  processed: number;
  logRewards: string;
  trajectories: { tokens: number[]; actions: number[]; allowed: string; embedding: string }[];
}

export function writeCheckpoint(runDir: string, c: MinerCheckpoint): void {
  const pending: PendingJson | null = c.pending && {
    start: c.pending.start,
    processed: c.pending.processed,
    logRewards: encodeF32(c.pending.logRewards),
    trajectories: c.pending.trajectories.map((t) => ({ tokens: t.tokens, actions: t.actions, allowed: encodeU8(t.allowed), embedding: encodeF32(t.embedding) })),
  };
  const json = {
    version: c.version,
    config: c.config,
    episode: c.episode,
    rng: c.rng,
    stats: c.stats,
    paramManifest: c.paramManifest,
    params: encodeF32(c.params),
    adam: { step: c.adam.step, m: encodeF32(c.adam.m), v: encodeF32(c.adam.v) },
    pool: c.pool,
    pending,
  };
  writeFileAtomic(join(runDir, CHECKPOINT_FILE), JSON.stringify(json) + '\n');
}

/** What is wrong with a parsed checkpoint's fields, or '' (so a damaged file is one clear line, not a crash later). */
function checkpointDamage(j: Record<string, unknown>): string {
  const isInt = (x: unknown) => Number.isInteger(x) && (x as number) >= 0;
  const adam = j.adam as Record<string, unknown> | undefined;
  const pool = j.pool as Record<string, unknown> | undefined;
  const stats = j.stats as Record<string, unknown> | undefined;
  if (!isInt(j.episode)) return 'episode is not a count';
  if (!Array.isArray(j.rng) || j.rng.length !== 4 || !j.rng.every((w) => Number.isInteger(w))) return 'rng is not 4 integers';
  if (typeof j.params !== 'string') return 'params is missing';
  if (!Array.isArray(j.paramManifest)) return 'paramManifest is missing';
  if (!adam || !isInt(adam.step) || typeof adam.m !== 'string' || typeof adam.v !== 'string') return 'adam is incomplete';
  if (!pool || !Array.isArray(pool.exprs) || !Array.isArray(pool.weights)) return 'pool has no exprs and weights';
  if (!stats || typeof stats !== 'object') return 'stats is missing';
  return '';
}

/** The run's checkpoint, or undefined when it has none yet (stopped before its first, every --log-freq episodes). */
export function readCheckpoint(runDir: string): MinerCheckpoint | undefined {
  const path = join(runDir, CHECKPOINT_FILE);
  if (!existsSync(path)) return undefined;
  let j: {
    version: number; config?: MinerConfig; episode: number; rng: number[]; stats: MinerCheckpoint['stats']; paramManifest: MinerCheckpoint['paramManifest'];
    params: string; adam: { step: number; m: string; v: string }; pool: PoolFile; pending: PendingJson | null;
  };
  try {
    j = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new UserError(`${path} is not valid JSON (${(e as Error).message}); the file is damaged: start a new run.`);
  }
  if (j.version !== CHECKPOINT_VERSION) throw new UserError(`${path} has checkpoint version ${j.version}, this program reads version ${CHECKPOINT_VERSION}; start a new run.`);
  const damaged = checkpointDamage(j);
  if (damaged) throw new UserError(`${path} is damaged (${damaged}); restore it from a copy or start a new run.`);
  const pending: PendingWindow | null = j.pending && {
    start: j.pending.start,
    processed: j.pending.processed,
    logRewards: decodeF32(j.pending.logRewards),
    trajectories: j.pending.trajectories.map((t) => ({ tokens: t.tokens, actions: t.actions, allowed: decodeU8(t.allowed), embedding: decodeF32(t.embedding) })),
  };
  return {
    version: j.version,
    config: j.config,
    episode: j.episode,
    rng: j.rng,
    stats: j.stats,
    paramManifest: j.paramManifest,
    params: decodeF32(j.params),
    adam: { step: j.adam.step, m: decodeF32(j.adam.m), v: decodeF32(j.adam.v) },
    pool: j.pool,
    pending,
  };
}
