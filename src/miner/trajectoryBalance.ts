/**
 * Trajectory balance (Malkin et al. 2022) with the AlphaSAGE entropy bonus
 * (SPEC §5). Per trajectory:
 *   (log Z + Σ_t log P_F(a_t|s_t) - Σ_t log P_B(s_t|s_{t+1}) - log R)²
 *     - entropy_coef · Σ_t H(softmax(masked logits_t / T))
 * summed over the trajectories of an update (the published code sums one
 * loss per episode over `update_freq` episodes before stepping Adam).
 *
 * Masks are the exact ones used while sampling (including early-stop
 * masking), so log P_F is the probability the sampler used, up to dropout:
 * the lstm and transformer encoders sample without it and train with it
 * (gnn has none). Trajectory balance holds off-policy, so this is sound.
 */
import { N_ACTIONS } from '../expr/vocab.js';
import { tf } from '../model/tf.js';

/** A masked logit: exp() of it is exactly 0 in float32 and 0 * it is 0, so no NaN reaches the gradient. */
const MASKED = -1e9;

export interface TrajectoryBatch {
  /** Trajectories in the batch. */
  readonly batch: number;
  /** Padded number of steps (= state positions) per trajectory. */
  readonly steps: number;
  /** [batch][steps] action taken at each step (0..61), -1 after the end. */
  readonly actions: Int32Array;
  /** [batch][steps][62] 1 where the action was allowed at that step. */
  readonly allowed: Uint8Array;
  /** [batch] number of steps of each trajectory (its last action is SEP). */
  readonly lengths: Int32Array;
  /** [batch] log R, already floored. */
  readonly logRewards: Float32Array;
}

export interface TbOptions {
  entropyCoef: number;
  /** Temperature of the softmax whose entropy is rewarded. */
  entropyTemperature: number;
}

export interface TbTerms {
  /** The summed loss (scalar). */
  loss: tf.Scalar;
  /** [batch] Σ log P_F. */
  logPf: tf.Tensor1D;
  /** [batch] Σ log P_B (zeros for the exact backward policy). */
  logPb: tf.Tensor1D;
  /** [batch] Σ step entropies. */
  entropy: tf.Tensor1D;
  /** [batch] log Z + Σ log P_F - Σ log P_B - log R. */
  residual: tf.Tensor1D;
}

/** Additive mask [batch, steps, 62]: 0 where allowed, MASKED elsewhere; rows after a trajectory's end allow everything (they are zeroed by the step weights). */
function additiveMask(tb: TrajectoryBatch): Float32Array {
  const out = new Float32Array(tb.batch * tb.steps * N_ACTIONS);
  for (let b = 0; b < tb.batch; b++) {
    for (let t = 0; t < tb.steps; t++) {
      if (t >= tb.lengths[b]) continue;
      const o = (b * tb.steps + t) * N_ACTIONS;
      for (let a = 0; a < N_ACTIONS; a++) if (!tb.allowed[o + a]) out[o + a] = MASKED;
    }
  }
  return out;
}

/**
 * Trajectory balance terms from the forward logits at every step
 * ([batch, steps, 62]) and, for a learned backward policy, the backward
 * logits at every state ([batch, steps, 61]; the backward probability of
 * transition t is read at state t+1, SEP transitions have P_B = 1).
 */
export function trajectoryBalance(tb: TrajectoryBatch, forwardLogits: tf.Tensor3D, logZ: tf.Tensor, opts: TbOptions, backwardLogits?: tf.Tensor3D): TbTerms {
  const { batch: B, steps: S } = tb;
  const mask = tf.tensor3d(additiveMask(tb), [B, S, N_ACTIONS]);
  const taken = new Float32Array(B * S * N_ACTIONS);
  const live = new Float32Array(B * S);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < tb.lengths[b]; t++) {
      taken[(b * S + t) * N_ACTIONS + tb.actions[b * S + t]] = 1;
      live[b * S + t] = 1;
    }
  }
  const takenT = tf.tensor3d(taken, [B, S, N_ACTIONS]);
  const liveT = tf.tensor2d(live, [B, S]);

  const logProbs = tf.logSoftmax(tf.add(forwardLogits, mask));
  const logPf = tf.sum(tf.mul(logProbs, takenT), [1, 2]) as tf.Tensor1D;

  const tempered = tf.logSoftmax(tf.add(tf.div(forwardLogits, opts.entropyTemperature), mask));
  const stepEntropy = tf.neg(tf.sum(tf.mul(tf.exp(tempered), tempered), 2));
  const entropy = tf.sum(tf.mul(stepEntropy, liveT), 1) as tf.Tensor1D;

  let logPb: tf.Tensor1D;
  if (backwardLogits) {
    const nBack = backwardLogits.shape[2];
    const backTaken = new Float32Array(B * S * nBack);
    for (let b = 0; b < B; b++) {
      // Transition t (t < length-1, a non-SEP action) is undone from state t+1.
      for (let t = 0; t + 1 < tb.lengths[b]; t++) backTaken[(b * S + t + 1) * nBack + tb.actions[b * S + t]] = 1;
    }
    logPb = tf.sum(tf.mul(tf.logSoftmax(backwardLogits), tf.tensor3d(backTaken, [B, S, nBack])), [1, 2]) as tf.Tensor1D;
  } else {
    logPb = tf.zeros([B]) as tf.Tensor1D;
  }
  const residual = tf.sub(tf.sub(tf.add(logZ, logPf), logPb), tf.tensor1d(tb.logRewards)) as tf.Tensor1D;
  const loss = tf.sub(tf.sum(tf.square(residual)), tf.mul(opts.entropyCoef, tf.sum(entropy))) as tf.Scalar;
  return { loss, logPf, logPb, entropy, residual };
}
