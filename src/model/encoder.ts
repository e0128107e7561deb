/**
 * The state encoders' common interface. A state is BEG followed by the tokens
 * so far (at most MAX_STATE_LENGTH slots). Every encoder gives the embedding
 * of EVERY prefix of a batch of sequences in one pass (the LSTM and the
 * causal transformer by construction; the graph encoder because messages
 * only flow child -> parent, so a node's embedding never changes once it is
 * appended and a prefix's embedding is the mean over its nodes), so the loss
 * needs one forward pass per trajectory, not one per step.
 */
import type { DropoutSource } from './ops.js';
import { tf } from './tf.js';

import type { EncoderType } from './names.js';
export { ENCODER_TYPES, type EncoderType } from './names.js';

/** BEG + at most 19 tokens (SPEC §2.3, §5). */
export const MAX_STATE_LENGTH = 20;

/** Token ids [batch][length], row-major. Each row starts with BEG; rows shorter than `length` are padded (the pad rows' outputs are unused). */
export interface TokenBatch {
  readonly tokens: Int32Array;
  readonly batch: number;
  readonly length: number;
}

export interface StateEncoder {
  readonly type: EncoderType;
  /**
   * out[b, t] = embedding of the state tokens[b, 0..t] (shape [B, L, H]).
   * `tokenEmbeddings` [B, L, H] are the token embeddings of `batch`.
   * Dropout (training) only when a source is given.
   */
  encodePrefixes(batch: TokenBatch, tokenEmbeddings: tf.Tensor3D, dropout?: DropoutSource): tf.Tensor3D;
  /** A sampling session over `rows` sequences that grow one token per step (inference mode). */
  startSession(rows: number, embedTokens: (ids: Int32Array) => tf.Tensor2D): EncoderSession;
}

export interface EncoderSession {
  /**
   * Appends `tokens[i]` to sequence `rows[i]` and returns the embeddings [rows.length, H]
   * of their new states. The first call appends BEG to every row. `rows`
   * must be increasing and a subset of the previous call's rows (finished
   * sequences drop out; all listed sequences have the same length).
   */
  advance(rows: Int32Array, tokens: Int32Array): tf.Tensor2D;
  dispose(): void;
}

/**
 * Rows of the previous step that are still sampling, as a gather index into
 * the previous step's batch (rows only ever drop out, order is kept).
 */
export function survivingRows(previous: Int32Array, rows: Int32Array): tf.Tensor1D {
  const keep = new Int32Array(rows.length);
  let j = 0;
  for (let i = 0; i < rows.length; i++) {
    while (previous[j] !== rows[i]) j++;
    keep[i] = j;
  }
  return tf.tensor1d(keep, 'int32');
}
