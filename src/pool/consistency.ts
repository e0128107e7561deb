/**
 * Structural consistency reward (SPEC §4, AlphaSAGE): expressions whose
 * encoder embeddings are close should behave alike. For a new expression,
 * take its k nearest pool members by L2 distance of embeddings (skipping
 * distance < 1e-6: itself, or the same structure), weight them by
 * softmax(-d^2 / temperature), and compare normalized values:
 *   loss = sum_k w_k * mean over days of (mean over stocks of (q - m_k)^2)
 *   reward = exp(-loss); 0 when the pool has fewer than 2 members or no neighbour.
 */
import { sharedArena } from './arena.js';

export interface ConsistencyMember {
  readonly normalized: Float64Array;
  readonly embedding: Float32Array;
}

export interface ConsistencyOptions {
  /** Neighbours, default 3. */
  k?: number;
  /** Softmax temperature on squared distances, default 0.1. */
  temperature?: number;
  /** Members closer than this are the same structure and skipped, default 1e-6. */
  minDistance?: number;
}

/** L2 distance between two embeddings, in float64. */
export function embeddingDistance(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`embedding sizes differ: ${a.length} vs ${b.length}`);
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    s += d * d;
  }
  return Math.sqrt(s);
}

/** Mean over days of the mean over stocks of (a - b)^2. */
export function meanSquaredDifference(a: Float64Array, b: Float64Array, nDays: number, nStocks: number): number {
  return meanSquaredDifferences(a, [b], nDays, nStocks)[0];
}

/** meanSquaredDifference of a with each of `bs` (in the arena when they share one: the same sums in the same order, several b per pass). */
export function meanSquaredDifferences(a: Float64Array, bs: readonly Float64Array[], nDays: number, nStocks: number): number[] {
  const arena = bs.length > 0 ? sharedArena(a, ...bs) : undefined;
  if (arena) return arena.meanSquaredDifferences(a, bs);
  return bs.map((b) => {
    let total = 0;
    for (let d = 0; d < nDays; d++) {
      const o = d * nStocks;
      let s = 0;
      for (let i = o; i < o + nStocks; i++) {
        const diff = a[i] - b[i];
        s += diff * diff;
      }
      total += s / nStocks;
    }
    return total / nDays;
  });
}

/** The neighbours the reward uses: indices into `members` and their softmax weights. */
export function consistencyNeighbours(
  embedding: Float32Array,
  members: readonly ConsistencyMember[],
  opts: ConsistencyOptions = {},
): { index: number; distance: number; weight: number }[] {
  const k = opts.k ?? 3;
  const temperature = opts.temperature ?? 0.1;
  const minDistance = opts.minDistance ?? 1e-6;
  const candidates: { index: number; distance: number }[] = [];
  for (let i = 0; i < members.length; i++) {
    const distance = embeddingDistance(embedding, members[i].embedding);
    if (distance < minDistance) continue;
    candidates.push({ index: i, distance });
  }
  // Nearest first; ties keep member order.
  candidates.sort((a, b) => a.distance - b.distance || a.index - b.index);
  const chosen = candidates.slice(0, k);
  if (chosen.length === 0) return [];
  // softmax(-d^2 / T), shifted by the largest score for stability.
  const scores = chosen.map((c) => -(c.distance * c.distance) / temperature);
  const top = Math.max(...scores);
  const exps = scores.map((s) => Math.exp(s - top));
  const sum = exps.reduce((a, b) => a + b, 0);
  return chosen.map((c, i) => ({ ...c, weight: exps[i] / sum }));
}

/** The reward for a new expression (normalized values + embedding) against the pool's members. */
export function consistencyReward(
  normalized: Float64Array,
  embedding: Float32Array,
  members: readonly ConsistencyMember[],
  nDays: number,
  nStocks: number,
  opts: ConsistencyOptions = {},
): number {
  if (members.length < 2) return 0;
  const neighbours = consistencyNeighbours(embedding, members, opts);
  if (neighbours.length === 0) return 0;
  const msd = meanSquaredDifferences(normalized, neighbours.map((n) => members[n.index].normalized), nDays, nStocks);
  let loss = 0;
  neighbours.forEach((n, i) => (loss += n.weight * msd[i]));
  return Math.exp(-loss);
}
