/**
 * The GFlowNet environment (SPEC §5): a state is BEG + the tokens so far; an
 * action appends one token (action id = token id - 1) or exits with SEP.
 * Masks come from the expression builder (SPEC §2.3); early-stop masking:
 * whenever SEP is allowed, with probability mask_dropout_prob × (state
 * length / 20) every other action is masked (state length counts BEG, as
 * in the published environment).
 *
 * Trajectories are sampled in lockstep, many per forward pass: the policy
 * is fixed between updates, so sampling a window of `update_freq`
 * trajectories at once draws from the same distribution as sampling them
 * one per episode, and the random stream (our seeded Rng) keeps it
 * reproducible.
 */
import { ExprBuilder, MAX_STATE_LEN } from '../expr/builder.js';
import { actionToTokenId, BEG_ID, N_ACTIONS, SEP_ID, tokenIdToAction } from '../expr/vocab.js';
import type { GflowPolicy } from '../model/policy.js';
import type { Rng } from '../util/rng.js';

export const SEP_ACTION = tokenIdToAction(SEP_ID);

export interface SampledTrajectory {
  /** Token ids after BEG, SEP excluded. */
  readonly tokens: number[];
  /** Action per step (the last is SEP). */
  readonly actions: number[];
  /** [steps][62] the allowed actions at each step, as used for sampling. */
  readonly allowed: Uint8Array;
  /** Encoder embedding of the final state (the expression), for the consistency reward. */
  readonly embedding: Float32Array;
}

/**
 * Applies early-stop masking in place: if SEP and some other action are
 * allowed, with probability prob × stateLength / MAX_STATE_LEN only SEP stays.
 */
export function applyEarlyStop(mask: Uint8Array, stateLength: number, prob: number, rng: Rng): boolean {
  if (!mask[SEP_ACTION] || prob <= 0) return false;
  let others = false;
  for (let a = 0; a < N_ACTIONS; a++) {
    if (a !== SEP_ACTION && mask[a]) {
      others = true;
      break;
    }
  }
  if (!others) return false;
  if (rng.next() >= (prob * stateLength) / MAX_STATE_LEN) return false;
  for (let a = 0; a < N_ACTIONS; a++) if (a !== SEP_ACTION) mask[a] = 0;
  return true;
}

/** Draws an action from softmax(logits) restricted to the allowed actions (float64 arithmetic). */
export function sampleMaskedAction(logits: Float32Array, offset: number, mask: Uint8Array, rng: Rng): number {
  let max = -Infinity;
  for (let a = 0; a < N_ACTIONS; a++) if (mask[a] && logits[offset + a] > max) max = logits[offset + a];
  let total = 0;
  const w = new Float64Array(N_ACTIONS);
  for (let a = 0; a < N_ACTIONS; a++) {
    if (mask[a]) {
      w[a] = Math.exp(logits[offset + a] - max);
      total += w[a];
    }
  }
  if (!(total > 0)) throw new Error('no allowed action');
  const u = rng.next() * total;
  let acc = 0;
  let last = -1;
  for (let a = 0; a < N_ACTIONS; a++) {
    if (!mask[a]) continue;
    acc += w[a];
    last = a;
    if (u < acc) return a;
  }
  return last;
}

/** Samples `count` trajectories with the current policy, all advancing together. */
export function sampleTrajectories(policy: GflowPolicy, count: number, rng: Rng, maskDropoutProb: number): SampledTrajectory[] {
  const hidden = policy.hidden;
  const builders = Array.from({ length: count }, () => new ExprBuilder());
  const actions: number[][] = Array.from({ length: count }, () => []);
  const masks: Uint8Array[][] = Array.from({ length: count }, () => []);
  const embeddings: Float32Array[] = new Array(count);
  const session = policy.startSession(count);
  try {
    let rows = Int32Array.from({ length: count }, (_, i) => i);
    let tokens = new Int32Array(count).fill(BEG_ID);
    while (rows.length > 0) {
      const out = session.advance(rows, tokens);
      const nextRows: number[] = [];
      const nextTokens: number[] = [];
      for (let i = 0; i < rows.length; i++) {
        const r = rows[i];
        const builder = builders[r];
        const mask = builder.validActions();
        applyEarlyStop(mask, 1 + builder.length, maskDropoutProb, rng);
        const action = sampleMaskedAction(out.logits, i * N_ACTIONS, mask, rng);
        masks[r].push(mask);
        actions[r].push(action);
        if (action === SEP_ACTION) {
          embeddings[r] = out.embeddings.slice(i * hidden, (i + 1) * hidden);
        } else {
          const id = actionToTokenId(action);
          builder.push(id);
          nextRows.push(r);
          nextTokens.push(id);
        }
      }
      rows = Int32Array.from(nextRows);
      tokens = Int32Array.from(nextTokens);
    }
  } finally {
    session.dispose();
  }
  return builders.map((b, r) => {
    const allowed = new Uint8Array(masks[r].length * N_ACTIONS);
    masks[r].forEach((m, t) => allowed.set(m, t * N_ACTIONS));
    return { tokens: [...b.tokens], actions: actions[r], allowed, embedding: embeddings[r] };
  });
}

/** The builder of a finished trajectory (to read its expression). */
export function builderOf(tokens: readonly number[]): ExprBuilder {
  const b = new ExprBuilder();
  for (const id of tokens) b.push(id);
  return b;
}
