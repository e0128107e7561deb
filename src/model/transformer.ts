/**
 * Causal transformer state encoder (SPEC §5: 2 layers, 4 heads; post-norm
 * layers as PyTorch's TransformerEncoderLayer, ReLU feed-forward of width 2048). A causal
 * mask replaces the published padding-only mask: position t then sees
 * exactly the state BEG..token t, so one pass gives every prefix's
 * embedding (its output at the last position), and padding after the end
 * never leaks backwards.
 */
import type { EncoderSession, StateEncoder, TokenBatch } from './encoder.js';
import { MAX_STATE_LENGTH, survivingRows } from './encoder.js';
import { bmm, dropout, layerNorm, linear, positionalEncoding, type DropoutSource } from './ops.js';
import { linearInit, type ParamStore } from './params.js';
import { tf } from './tf.js';

interface TransformerLayer {
  wq: tf.Variable; bq: tf.Variable;
  wk: tf.Variable; bk: tf.Variable;
  wv: tf.Variable; bv: tf.Variable;
  wo: tf.Variable; bo: tf.Variable;
  norm1Gamma: tf.Variable; norm1Beta: tf.Variable;
  w1: tf.Variable; b1: tf.Variable;
  w2: tf.Variable; b2: tf.Variable;
  norm2Gamma: tf.Variable; norm2Beta: tf.Variable;
}

export class TransformerEncoder implements StateEncoder {
  readonly type = 'transformer' as const;
  private readonly layers: TransformerLayer[] = [];
  private readonly pe: tf.Tensor2D;
  private readonly causal: tf.Tensor2D;
  private readonly headDim: number;

  constructor(
    params: ParamStore,
    private readonly hidden: number,
    private readonly heads = 4,
    feedForward = 2048,
    nLayers = 2,
  ) {
    if (hidden % heads !== 0) throw new Error('hidden size must be a multiple of the number of heads');
    this.headDim = hidden / heads;
    const h = linearInit(hidden);
    const f = linearInit(feedForward);
    for (let l = 0; l < nLayers; l++) {
      const p = `transformer.${l}`;
      this.layers.push({
        wq: params.add(`${p}.wq`, [hidden, hidden], h), bq: params.add(`${p}.bq`, [hidden], { kind: 'zeros' }),
        wk: params.add(`${p}.wk`, [hidden, hidden], h), bk: params.add(`${p}.bk`, [hidden], { kind: 'zeros' }),
        wv: params.add(`${p}.wv`, [hidden, hidden], h), bv: params.add(`${p}.bv`, [hidden], { kind: 'zeros' }),
        wo: params.add(`${p}.wo`, [hidden, hidden], h), bo: params.add(`${p}.bo`, [hidden], { kind: 'zeros' }),
        norm1Gamma: params.add(`${p}.norm1.gamma`, [hidden], { kind: 'ones' }),
        norm1Beta: params.add(`${p}.norm1.beta`, [hidden], { kind: 'zeros' }),
        w1: params.add(`${p}.ff.w1`, [hidden, feedForward], h), b1: params.add(`${p}.ff.b1`, [feedForward], h),
        w2: params.add(`${p}.ff.w2`, [feedForward, hidden], f), b2: params.add(`${p}.ff.b2`, [hidden], f),
        norm2Gamma: params.add(`${p}.norm2.gamma`, [hidden], { kind: 'ones' }),
        norm2Beta: params.add(`${p}.norm2.beta`, [hidden], { kind: 'zeros' }),
      });
    }
    this.pe = tf.keep(tf.tensor2d(positionalEncoding(MAX_STATE_LENGTH, hidden), [MAX_STATE_LENGTH, hidden]));
    const mask = new Float32Array(MAX_STATE_LENGTH * MAX_STATE_LENGTH);
    for (let i = 0; i < MAX_STATE_LENGTH; i++) for (let j = i + 1; j < MAX_STATE_LENGTH; j++) mask[i * MAX_STATE_LENGTH + j] = -1e9;
    this.causal = tf.keep(tf.tensor2d(mask, [MAX_STATE_LENGTH, MAX_STATE_LENGTH]));
  }

  /** [B, L, H] -> [B * heads, L, headDim] */
  private splitHeads(x: tf.Tensor, B: number, L: number): tf.Tensor3D {
    return tf.reshape(tf.transpose(tf.reshape(x, [B, L, this.heads, this.headDim]), [0, 2, 1, 3]), [B * this.heads, L, this.headDim]) as tf.Tensor3D;
  }

  encodePrefixes(batch: TokenBatch, tokenEmbeddings: tf.Tensor3D, drop?: DropoutSource): tf.Tensor3D {
    const { batch: B, length: L } = batch;
    const H = this.hidden;
    const mask = tf.slice(this.causal, [0, 0], [L, L]);
    const scale = 1 / Math.sqrt(this.headDim);
    let x: tf.Tensor = tf.add(tokenEmbeddings, tf.slice(this.pe, [0, 0], [L, H]));
    for (const p of this.layers) {
      const q = this.splitHeads(linear(x, p.wq as tf.Tensor2D, p.bq as tf.Tensor1D), B, L);
      const k = this.splitHeads(linear(x, p.wk as tf.Tensor2D, p.bk as tf.Tensor1D), B, L);
      const v = this.splitHeads(linear(x, p.wv as tf.Tensor2D, p.bv as tf.Tensor1D), B, L);
      const scores = tf.add(tf.mul(bmm(q, tf.transpose(k, [0, 2, 1]) as tf.Tensor3D), scale), mask);
      const attention = dropout(tf.softmax(scores), drop) as tf.Tensor3D;
      const context = tf.reshape(tf.transpose(tf.reshape(bmm(attention, v), [B, this.heads, L, this.headDim]), [0, 2, 1, 3]), [B, L, H]);
      const attended = linear(context, p.wo as tf.Tensor2D, p.bo as tf.Tensor1D);
      x = layerNorm(tf.add(x, dropout(attended, drop)), p.norm1Gamma as tf.Tensor1D, p.norm1Beta as tf.Tensor1D);
      const inner = dropout(tf.relu(linear(x, p.w1 as tf.Tensor2D, p.b1 as tf.Tensor1D)), drop);
      const ff = linear(inner, p.w2 as tf.Tensor2D, p.b2 as tf.Tensor1D);
      x = layerNorm(tf.add(x, dropout(ff, drop)), p.norm2Gamma as tf.Tensor1D, p.norm2Beta as tf.Tensor1D);
    }
    return x as tf.Tensor3D;
  }

  startSession(_rows: number, embedTokens: (ids: Int32Array) => tf.Tensor2D): EncoderSession {
    return new TransformerSession(this, embedTokens);
  }

  /**
   * One position for a batch (inference), attending to the cached keys and
   * values of the earlier positions: the same numbers as the causal full pass.
   */
  step(x: tf.Tensor2D, position: number, cache: { keys: tf.Tensor3D[]; values: tf.Tensor3D[] }): { out: tf.Tensor2D; keys: tf.Tensor3D[]; values: tf.Tensor3D[] } {
    const n = x.shape[0];
    const H = this.hidden;
    const T = position + 1;
    const scale = 1 / Math.sqrt(this.headDim);
    let h: tf.Tensor = tf.add(x, tf.slice(this.pe, [position, 0], [1, H]));
    const keys: tf.Tensor3D[] = [];
    const values: tf.Tensor3D[] = [];
    this.layers.forEach((p, l) => {
      const q = tf.reshape(linear(h, p.wq as tf.Tensor2D, p.bq as tf.Tensor1D), [n * this.heads, 1, this.headDim]) as tf.Tensor3D;
      const kNew = tf.reshape(linear(h, p.wk as tf.Tensor2D, p.bk as tf.Tensor1D), [n, 1, H]) as tf.Tensor3D;
      const vNew = tf.reshape(linear(h, p.wv as tf.Tensor2D, p.bv as tf.Tensor1D), [n, 1, H]) as tf.Tensor3D;
      const K = position === 0 ? kNew : (tf.concat([cache.keys[l], kNew], 1) as tf.Tensor3D);
      const V = position === 0 ? vNew : (tf.concat([cache.values[l], vNew], 1) as tf.Tensor3D);
      keys.push(K);
      values.push(V);
      const kh = this.splitHeads(K, n, T);
      const vh = this.splitHeads(V, n, T);
      const attention = tf.softmax(tf.mul(tf.matMul(q, tf.transpose(kh, [0, 2, 1])), scale)) as tf.Tensor3D;
      const context = tf.reshape(tf.matMul(attention, vh), [n, H]);
      const attended = linear(context, p.wo as tf.Tensor2D, p.bo as tf.Tensor1D);
      h = layerNorm(tf.add(h, attended), p.norm1Gamma as tf.Tensor1D, p.norm1Beta as tf.Tensor1D);
      const ff = linear(tf.relu(linear(h, p.w1 as tf.Tensor2D, p.b1 as tf.Tensor1D)), p.w2 as tf.Tensor2D, p.b2 as tf.Tensor1D);
      h = layerNorm(tf.add(h, ff), p.norm2Gamma as tf.Tensor1D, p.norm2Beta as tf.Tensor1D);
    });
    return { out: h as tf.Tensor2D, keys, values };
  }
}

/** Incremental sampling with a key/value cache per layer (rows only ever drop out). */
class TransformerSession implements EncoderSession {
  private cache: { keys: tf.Tensor3D[]; values: tf.Tensor3D[] } = { keys: [], values: [] };
  private activeRows: Int32Array | undefined;
  private position = 0;

  constructor(
    private readonly encoder: TransformerEncoder,
    private readonly embedTokens: (ids: Int32Array) => tf.Tensor2D,
  ) {}

  advance(rows: Int32Array, tokens: Int32Array): tf.Tensor2D {
    const result = tf.tidy(() => {
      let cache = this.cache;
      if (this.activeRows && rows.length !== this.activeRows.length) {
        const idx = survivingRows(this.activeRows, rows);
        cache = { keys: cache.keys.map((t) => tf.gather(t, idx)), values: cache.values.map((t) => tf.gather(t, idx)) };
      }
      const step = this.encoder.step(this.embedTokens(tokens), this.position, cache);
      return [step.out, ...step.keys, ...step.values];
    });
    this.disposeCache();
    const [out, ...kv] = result;
    const half = kv.length / 2;
    this.cache = { keys: kv.slice(0, half) as tf.Tensor3D[], values: kv.slice(half) as tf.Tensor3D[] };
    this.activeRows = rows.slice();
    this.position++;
    return out as tf.Tensor2D;
  }

  private disposeCache(): void {
    for (const t of [...this.cache.keys, ...this.cache.values]) t.dispose();
    this.cache = { keys: [], values: [] };
  }

  dispose(): void {
    this.disposeCache();
  }
}
