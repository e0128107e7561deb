/**
 * LSTM state encoder (SPEC §5): token embedding + sinusoidal positional
 * encoding, 2 LSTM layers (PyTorch gate order i, f, g, o), dropout between
 * layers while training; the state's embedding is the output at its last
 * position, so one pass gives every prefix.
 */
import type { EncoderSession, StateEncoder, TokenBatch } from './encoder.js';
import { MAX_STATE_LENGTH, survivingRows } from './encoder.js';
import { dropout, linear, mm, positionalEncoding, type DropoutSource } from './ops.js';
import { linearInit, type ParamStore } from './params.js';
import { tf } from './tf.js';

interface LstmLayer {
  wInput: tf.Variable; // [in, 4H]
  wHidden: tf.Variable; // [H, 4H]
  bias: tf.Variable; // [4H]
}

export class LstmEncoder implements StateEncoder {
  readonly type = 'lstm' as const;
  private readonly layers: LstmLayer[] = [];
  private readonly pe: tf.Tensor2D;

  constructor(
    params: ParamStore,
    private readonly hidden: number,
    nLayers = 2,
  ) {
    const init = linearInit(hidden);
    for (let l = 0; l < nLayers; l++) {
      this.layers.push({
        wInput: params.add(`lstm.${l}.w_input`, [hidden, 4 * hidden], init),
        wHidden: params.add(`lstm.${l}.w_hidden`, [hidden, 4 * hidden], init),
        bias: params.add(`lstm.${l}.bias`, [4 * hidden], init),
      });
    }
    this.pe = tf.keep(tf.tensor2d(positionalEncoding(MAX_STATE_LENGTH, hidden), [MAX_STATE_LENGTH, hidden]));
  }

  private cell(layer: LstmLayer, xw: tf.Tensor2D, h: tf.Tensor2D, c: tf.Tensor2D): [tf.Tensor2D, tf.Tensor2D] {
    const z = tf.add(xw, mm(h, layer.wHidden as tf.Tensor2D));
    const [i, f, g, o] = tf.split(z, 4, 1);
    const cNext = tf.add(tf.mul(tf.sigmoid(f), c), tf.mul(tf.sigmoid(i), tf.tanh(g))) as tf.Tensor2D;
    const hNext = tf.mul(tf.sigmoid(o), tf.tanh(cNext)) as tf.Tensor2D;
    return [hNext, cNext];
  }

  encodePrefixes(batch: TokenBatch, tokenEmbeddings: tf.Tensor3D, drop?: DropoutSource): tf.Tensor3D {
    const { batch: B, length: L } = batch;
    const H = this.hidden;
    let x: tf.Tensor = tf.add(tokenEmbeddings, tf.slice(this.pe, [0, 0], [L, H]));
    this.layers.forEach((layer, l) => {
      if (l > 0) x = dropout(x, drop);
      const xw = tf.reshape(linear(x, layer.wInput as tf.Tensor2D, layer.bias as tf.Tensor1D), [B, L, 4 * H]);
      const steps = tf.unstack(xw, 1) as tf.Tensor2D[];
      let h = tf.zeros([B, H]) as tf.Tensor2D;
      let c = tf.zeros([B, H]) as tf.Tensor2D;
      const outs: tf.Tensor2D[] = [];
      for (let t = 0; t < L; t++) {
        [h, c] = this.cell(layer, steps[t], h, c);
        outs.push(h);
      }
      x = tf.stack(outs, 1);
    });
    return x as tf.Tensor3D;
  }

  startSession(_rows: number, embedTokens: (ids: Int32Array) => tf.Tensor2D): EncoderSession {
    return new LstmSession(this, embedTokens);
  }

  /** One step of every layer for a batch (inference). */
  step(x: tf.Tensor2D, position: number, state: { h: tf.Tensor2D[]; c: tf.Tensor2D[] }): { h: tf.Tensor2D[]; c: tf.Tensor2D[] } {
    const H = this.hidden;
    let input: tf.Tensor2D = tf.add(x, tf.slice(this.pe, [position, 0], [1, H]));
    const h: tf.Tensor2D[] = [];
    const c: tf.Tensor2D[] = [];
    this.layers.forEach((layer, l) => {
      const xw = linear(input, layer.wInput as tf.Tensor2D, layer.bias as tf.Tensor1D) as tf.Tensor2D;
      const [hn, cn] = this.cell(layer, xw, state.h[l], state.c[l]);
      h.push(hn);
      c.push(cn);
      input = hn;
    });
    return { h, c };
  }

  get nLayers(): number {
    return this.layers.length;
  }

  get hiddenSize(): number {
    return this.hidden;
  }
}

/** Incremental LSTM sampling: carries (h, c) of the active rows. */
class LstmSession implements EncoderSession {
  private state: { h: tf.Tensor2D[]; c: tf.Tensor2D[] } | undefined;
  private activeRows: Int32Array | undefined;
  private position = 0;

  constructor(
    private readonly encoder: LstmEncoder,
    private readonly embedTokens: (ids: Int32Array) => tf.Tensor2D,
  ) {}

  advance(rows: Int32Array, tokens: Int32Array): tf.Tensor2D {
    const enc = this.encoder;
    const next = tf.tidy(() => {
      let prev = this.state;
      if (!prev) {
        const zero = tf.zeros([rows.length, enc.hiddenSize]) as tf.Tensor2D;
        prev = { h: Array.from({ length: enc.nLayers }, () => zero), c: Array.from({ length: enc.nLayers }, () => zero) };
      } else if (this.activeRows && rows.length !== this.activeRows.length) {
        // Keep the states of the rows still sampling (rows only ever drop out).
        const idx = survivingRows(this.activeRows, rows);
        prev = { h: prev.h.map((t) => tf.gather(t, idx)), c: prev.c.map((t) => tf.gather(t, idx)) };
      }
      return enc.step(this.embedTokens(tokens), this.position, prev);
    });
    this.disposeState();
    this.state = next;
    this.activeRows = rows.slice();
    this.position++;
    return tf.clone(next.h[next.h.length - 1]);
  }

  private disposeState(): void {
    if (!this.state) return;
    for (const t of [...this.state.h, ...this.state.c]) t.dispose();
    this.state = undefined;
  }

  dispose(): void {
    this.disposeState();
  }
}
