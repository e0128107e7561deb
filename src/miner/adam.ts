/**
 * Adam (Kingma & Ba; PyTorch's defaults: betas 0.9/0.999, eps 1e-8, no
 * weight decay) over a ParamStore, with its moments kept in float32 arrays
 * so a checkpoint stores and restores them exactly.
 */
import type { ParamStore } from '../model/params.js';
import { tf } from '../model/tf.js';

export interface AdamState {
  step: number;
  m: Float32Array;
  v: Float32Array;
}

export class Adam {
  readonly m: Float32Array;
  readonly v: Float32Array;
  step = 0;

  constructor(
    private readonly params: ParamStore,
    readonly lr = 1e-4,
    readonly beta1 = 0.9,
    readonly beta2 = 0.999,
    readonly eps = 1e-8,
    /** Per-parameter learning rates by parameter name (e.g. a faster log Z). */
    private readonly lrByName: ReadonlyMap<string, number> = new Map(),
  ) {
    this.m = new Float32Array(params.totalSize);
    this.v = new Float32Array(params.totalSize);
  }

  /** One update from gradients in parameter order (a missing gradient counts as zero). */
  apply(grads: readonly (tf.Tensor | undefined)[]): void {
    this.step++;
    const c1 = 1 - Math.pow(this.beta1, this.step);
    const c2 = 1 - Math.pow(this.beta2, this.step);
    const { m, v, beta1, beta2, eps } = this;
    let o = 0;
    this.params.list().forEach((entry, i) => {
      const lr = this.lrByName.get(entry.name) ?? this.lr;
      const variable = entry.variable;
      const n = variable.size;
      const p = Float32Array.from(variable.dataSync() as Float32Array);
      const g = grads[i] ? (grads[i] as tf.Tensor).dataSync() : new Float32Array(n);
      for (let j = 0; j < n; j++) {
        const gj = g[j];
        const mj = (m[o + j] = beta1 * m[o + j] + (1 - beta1) * gj);
        const vj = (v[o + j] = beta2 * v[o + j] + (1 - beta2) * gj * gj);
        p[j] -= (lr * (mj / c1)) / (Math.sqrt(vj / c2) + eps);
      }
      const value = tf.tensor(p, variable.shape);
      variable.assign(value);
      value.dispose();
      o += n;
    });
  }

  state(): AdamState {
    return { step: this.step, m: this.m.slice(), v: this.v.slice() };
  }

  restore(state: AdamState): void {
    if (state.m.length !== this.m.length || state.v.length !== this.v.length) throw new Error('optimizer state does not match the model');
    this.step = state.step;
    this.m.set(state.m);
    this.v.set(state.v);
  }
}
