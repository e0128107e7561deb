/**
 * Differentiable building blocks that are fast and correct on the wasm
 * backend (see the tfjs notes): a matMul whose gradient transposes
 * explicitly (tfjs's own gradient uses transposeA/B flags, ~25x slower on
 * wasm), and embeddings as one-hot products (gather's gradient needs
 * UnsortedSegmentSum, which wasm lacks).
 */
import { tf } from './tf.js';

type T2 = tf.Tensor2D;
type T3 = tf.Tensor3D;

const matMul2 = tf.customGrad((a, b, save) => {
  const x = a as T2;
  const y = b as T2;
  (save as tf.GradSaveFunc)([x, y]);
  return {
    value: tf.matMul(x, y),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sa, sb] = saved as [T2, T2];
      return [tf.matMul(dy as T2, tf.transpose(sb)), tf.matMul(tf.transpose(sa), dy as T2)];
    },
  };
});

const matMul3 = tf.customGrad((a, b, save) => {
  const x = a as T3;
  const y = b as T3;
  (save as tf.GradSaveFunc)([x, y]);
  return {
    value: tf.matMul(x, y),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sa, sb] = saved as [T3, T3];
      return [tf.matMul(dy as T3, tf.transpose(sb, [0, 2, 1])), tf.matMul(tf.transpose(sa, [0, 2, 1]), dy as T3)];
    },
  };
});

/** a [m,k] x b [k,n] -> [m,n]. */
export function mm(a: T2, b: T2): T2 {
  return matMul2(a, b) as T2;
}

/** Batched a [B,m,k] x b [B,k,n] -> [B,m,n]. */
export function bmm(a: T3, b: T3): T3 {
  return matMul3(a, b) as T3;
}

/** x [..., in] · w [in, out] + b over the last axis, any leading shape. */
export function linear(x: tf.Tensor, w: T2, b?: tf.Tensor1D): tf.Tensor {
  const inDim = w.shape[0];
  const outDim = w.shape[1];
  const lead = x.shape.slice(0, -1);
  let y: tf.Tensor = mm(tf.reshape(x, [-1, inDim]) as T2, w);
  if (b) y = tf.add(y, b);
  return lead.length === 1 ? y : tf.reshape(y, [...lead, outDim]);
}

/** Layer normalisation over the last axis (PyTorch's eps 1e-5, biased variance). */
export function layerNorm(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps = 1e-5): tf.Tensor {
  const axis = x.rank - 1;
  const mean = tf.mean(x, axis, true);
  const centered = tf.sub(x, mean);
  const variance = tf.mean(tf.square(centered), axis, true);
  return tf.add(tf.mul(tf.mul(centered, tf.rsqrt(tf.add(variance, eps))), gamma), beta);
}

/** One-hot rows (float32) of token ids, built in JS. */
export function oneHot(ids: ArrayLike<number>, depth: number): T2 {
  const out = new Float32Array(ids.length * depth);
  for (let i = 0; i < ids.length; i++) out[i * depth + ids[i]] = 1;
  return tf.tensor2d(out, [ids.length, depth]);
}

/** Row lookup: ids -> rows of table [V, H], as oneHot x table (differentiable on wasm). */
export function embed(table: T2, ids: ArrayLike<number>): T2 {
  return mm(oneHot(ids, table.shape[0]), table);
}

/** Sinusoidal positional encoding [maxLen, dim] (the Transformer paper's, as PyTorch tutorials build it). */
export function positionalEncoding(maxLen: number, dim: number): Float32Array {
  const pe = new Float32Array(maxLen * dim);
  for (let pos = 0; pos < maxLen; pos++) {
    for (let i = 0; i < dim; i += 2) {
      const freq = Math.exp((-i * Math.log(10000)) / dim);
      pe[pos * dim + i] = Math.sin(pos * freq);
      if (i + 1 < dim) pe[pos * dim + i + 1] = Math.cos(pos * freq);
    }
  }
  return pe;
}

/** A source of dropout masks (inverted dropout: kept units scaled by 1/(1-rate)). */
export interface DropoutSource {
  readonly rate: number;
  /** A mask of `size` values, each 0 or 1/(1-rate). */
  mask(size: number): Float32Array;
}

/** Applies inverted dropout with a mask from `source` (identity when no source or rate 0). */
export function dropout(x: tf.Tensor, source: DropoutSource | undefined): tf.Tensor {
  if (!source || source.rate <= 0) return x;
  return tf.mul(x, tf.tensor(source.mask(x.size), x.shape));
}

/**
 * A sparse matrix per batch entry, rows in CSR form: row r (of `rows` per
 * entry, entry-major) sums weights[k] · x[entry, cols[k], :] for k in
 * rowStart[r]..rowStart[r+1].
 */
export interface SparseRows {
  readonly batch: number;
  readonly rows: number;
  /** Columns per entry (the middle dimension of x). */
  readonly cols: number;
  readonly rowStart: Int32Array;
  readonly colIndex: Int32Array;
  readonly weights: Float32Array;
}

/**
 * out += A x (per batch, rows of H values), or out += A^T x when `transposed`
 * (the gradient): the same walk over the non-zeros, reading and writing swapped.
 */
function sparseProduct(sp: SparseRows, C: number, H: number, x: Float32Array, out: Float32Array, transposed: boolean): void {
  const R = sp.rows;
  for (let b = 0; b < sp.batch; b++) {
    for (let r = 0; r < R; r++) {
      const row = b * R + r;
      const rowOffset = row * H;
      for (let k = sp.rowStart[row]; k < sp.rowStart[row + 1]; k++) {
        const w = sp.weights[k];
        const colOffset = (b * C + sp.colIndex[k]) * H;
        if (transposed) for (let j = 0; j < H; j++) out[colOffset + j] += w * x[rowOffset + j];
        else for (let j = 0; j < H; j++) out[rowOffset + j] += w * x[colOffset + j];
      }
    }
  }
}

/**
 * sp · x per batch entry: x [B, cols, H] -> [B, rows, H], with the forward
 * and backward passes in plain JS loops. For the few non-zeros per row of a
 * tree's message matrix this is far cheaper than wasm's batched matMul of
 * small dense blocks, and needs no gather (whose gradient wasm lacks).
 */
export function sparseMatMul(sp: SparseRows, x: T3): T3 {
  const [B, C, H] = x.shape;
  if (B !== sp.batch || C !== sp.cols) throw new Error(`sparseMatMul: x is [${x.shape}], the matrix is ${sp.batch} x ${sp.rows} x ${sp.cols}`);
  const R = sp.rows;
  const op = tf.customGrad((input, save) => {
    const xs = input as T3;
    (save as tf.GradSaveFunc)([]);
    const out = new Float32Array(B * R * H);
    sparseProduct(sp, C, H, xs.dataSync() as Float32Array, out, false);
    return {
      value: tf.tensor3d(out, [B, R, H]),
      gradFunc: (dy: tf.Tensor) => {
        const dx = new Float32Array(B * C * H);
        sparseProduct(sp, C, H, dy.dataSync() as Float32Array, dx, true);
        return [tf.tensor3d(dx, [B, C, H])];
      },
    };
  });
  return op(x) as T3;
}

/** out[b, t] = mean of x[b, 0..t] over the middle axis (JS forward and backward). */
export function prefixMean(x: T3): T3 {
  const [B, L, H] = x.shape;
  const op = tf.customGrad((input, save) => {
    (save as tf.GradSaveFunc)([]);
    const xd = (input as T3).dataSync() as Float32Array;
    const out = new Float32Array(B * L * H);
    const sum = new Float64Array(H);
    for (let b = 0; b < B; b++) {
      sum.fill(0);
      for (let t = 0; t < L; t++) {
        const o = (b * L + t) * H;
        for (let j = 0; j < H; j++) {
          sum[j] += xd[o + j];
          out[o + j] = sum[j] / (t + 1);
        }
      }
    }
    return {
      value: tf.tensor3d(out, [B, L, H]),
      gradFunc: (dy: tf.Tensor) => {
        const dyd = dy.dataSync() as Float32Array;
        const dx = new Float32Array(B * L * H);
        const acc = new Float64Array(H);
        for (let b = 0; b < B; b++) {
          acc.fill(0);
          for (let t = L - 1; t >= 0; t--) {
            const o = (b * L + t) * H;
            for (let j = 0; j < H; j++) {
              acc[j] += dyd[o + j] / (t + 1);
              dx[o + j] = acc[j];
            }
          }
        }
        return [tf.tensor3d(dx, [B, L, H])];
      },
    };
  });
  return op(x) as T3;
}
