/**
 * Structural state encoder (SPEC §5): the state's tokens as an expression
 * forest (edges child -> parent, six relation types, see tree.ts), two
 * relational GCN layers as PyG's RGCNConv (per-relation weights with mean
 * aggregation per relation, a root/self weight, a bias) each followed by
 * ReLU, then the mean over the nodes (BEG included).
 *
 * Batched without gather/scatter (whose gradients are missing or wrong on
 * wasm): one layer is H·[W_1..W_6, W_root] (one big matMul) followed by a
 * sparse [L, L*7] message matrix per sequence (a few non-zeros per row,
 * applied in JS, forward and backward). Since messages flow only
 * child -> parent, a node's embedding depends on its subtree alone and never
 * changes once appended; the embedding of prefix t is the mean of nodes 0..t.
 */
import { MAX_STATE_LENGTH, type EncoderSession, type StateEncoder, type TokenBatch } from './encoder.js';
import { VOCAB_SIZE } from '../expr/vocab.js';
import { linear, mm, prefixMean, sparseMatMul, type SparseRows } from './ops.js';
import { glorotInit, type ParamStore } from './params.js';
import { tf } from './tf.js';
import { buildTokenTree, N_RELATIONS, TreeBuilder, type OperandEdge } from './tree.js';

/** Relations plus the root (self) weight. */
const SLOTS = N_RELATIONS + 1;
/** Nodes per state (BEG + 19 tokens). */
const MAX_NODES = MAX_STATE_LENGTH;
const ROOT_SLOT = N_RELATIONS;

interface RgcnLayer {
  /** [H, SLOTS*H]: W_r for r = 0..5, then the root weight. */
  weights: tf.Variable;
  bias: tf.Variable;
}

/**
 * The message matrix of a token batch, sparse [B][L][L*SLOTS]: row
 * (b, parent) holds 1 / (number of the parent's children with relation r)
 * at column child*SLOTS + r, and 1 at column parent*SLOTS + ROOT_SLOT.
 */
export function messageRows(batch: TokenBatch): SparseRows {
  const { batch: B, length: L, tokens } = batch;
  const rowStart = new Int32Array(B * L + 1);
  const colIndex: number[] = [];
  const weights: number[] = [];
  const counts = new Int32Array(L * N_RELATIONS);
  for (let b = 0; b < B; b++) {
    const tree = buildTokenTree(tokens.subarray(b * L, (b + 1) * L));
    counts.fill(0);
    const children: number[][] = Array.from({ length: L }, () => []);
    for (let n = 0; n < L; n++) {
      const p = tree.parent[n];
      if (p >= 0) {
        counts[p * N_RELATIONS + tree.relation[n]]++;
        children[p].push(n);
      }
    }
    for (let p = 0; p < L; p++) {
      colIndex.push(p * SLOTS + ROOT_SLOT);
      weights.push(1);
      for (const c of children[p]) {
        const r = tree.relation[c];
        colIndex.push(c * SLOTS + r);
        weights.push(1 / counts[p * N_RELATIONS + r]);
      }
      rowStart[b * L + p + 1] = colIndex.length;
    }
  }
  return { batch: B, rows: L, cols: L * SLOTS, rowStart, colIndex: Int32Array.from(colIndex), weights: Float32Array.from(weights) };
}

function readAndDispose(t: tf.Tensor): Float32Array {
  const data = t.dataSync() as Float32Array;
  t.dispose();
  return data;
}

export class GnnEncoder implements StateEncoder {
  readonly type = 'gnn' as const;
  private readonly layers: RgcnLayer[] = [];

  constructor(
    params: ParamStore,
    private readonly hidden: number,
    nLayers = 2,
  ) {
    // Glorot per [H, H] block, as PyG initialises each relation's weight and the root weight; zero bias.
    const init = glorotInit(hidden, hidden);
    for (let l = 0; l < nLayers; l++) {
      this.layers.push({
        weights: params.add(`rgcn.${l}.weights`, [hidden, SLOTS * hidden], init),
        bias: params.add(`rgcn.${l}.bias`, [hidden], { kind: 'zeros' }),
      });
    }
  }

  encodePrefixes(batch: TokenBatch, tokenEmbeddings: tf.Tensor3D): tf.Tensor3D {
    const { batch: B, length: L } = batch;
    const H = this.hidden;
    const messages = messageRows(batch);
    let h: tf.Tensor3D = tokenEmbeddings;
    for (const layer of this.layers) {
      const transformed = tf.reshape(linear(h, layer.weights as tf.Tensor2D), [B, L * SLOTS, H]) as tf.Tensor3D;
      h = tf.relu(tf.add(sparseMatMul(messages, transformed), layer.bias)) as tf.Tensor3D;
    }
    return prefixMean(h);
  }

  startSession(rows: number, embedTokens: (ids: Int32Array) => tf.Tensor2D): EncoderSession {
    return new GnnSession(this.layers, this.hidden, rows, embedTokens);
  }
}

/**
 * Incremental sampling: a new node's embedding needs only its operands'
 * (already computed) embeddings, so each step computes one node per
 * trajectory. Each layer keeps, per node, its input already multiplied by
 * [W_1..W_6, W_root] (for layer 1 that is a per-token table), so a node's
 * output is a sum of its operands' slices and its own root slice.
 */
class GnnSession implements EncoderSession {
  /** First layer's transformed input per token id: [V][SLOTS*H] (a node's input is its token's embedding). */
  private readonly tokenTransform: Float32Array;
  private readonly biases: Float32Array[];
  private readonly laterWeights: tf.Tensor2D[];
  private readonly builders: TreeBuilder[];
  /** transformed[l - 1][row]: per node, the SLOTS*H values of layer l's transformed input (l >= 1). */
  private readonly transformed: Float32Array[][];
  private readonly tokensOf: number[][];
  /** Per row: the sum of its nodes' last-layer outputs (the state embedding is their mean). */
  private readonly sums: Float64Array;

  constructor(
    layers: readonly RgcnLayer[],
    private readonly hidden: number,
    rows: number,
    embedTokens: (ids: Int32Array) => tf.Tensor2D,
  ) {
    const H = hidden;
    // tidy() walks what it returns, so return the tensor and read it outside (a typed array is walked element by element).
    this.tokenTransform = readAndDispose(
      tf.tidy(() => linear(embedTokens(Int32Array.from({ length: VOCAB_SIZE }, (_, i) => i)), layers[0].weights as tf.Tensor2D)),
    );
    this.biases = layers.map((l) => l.bias.dataSync() as Float32Array);
    this.laterWeights = layers.slice(1).map((l) => l.weights as tf.Tensor2D);
    this.builders = Array.from({ length: rows }, () => new TreeBuilder());
    this.transformed = layers.slice(1).map(() => Array.from({ length: rows }, () => new Float32Array(MAX_NODES * SLOTS * H)));
    this.tokensOf = Array.from({ length: rows }, () => []);
    this.sums = new Float64Array(rows * H);
  }

  /** relu(bias + root slice of the node + mean per relation of the operands' relation slices). */
  private combine(out: Float32Array, o: number, bias: Float32Array, self: Float32Array, selfOffset: number, edges: readonly OperandEdge[], source: (child: number) => [Float32Array, number]): void {
    const H = this.hidden;
    for (let j = 0; j < H; j++) out[o + j] = bias[j] + self[selfOffset + ROOT_SLOT * H + j];
    const counts = new Int32Array(N_RELATIONS);
    for (const e of edges) counts[e.relation]++;
    for (const e of edges) {
      const [arr, off] = source(e.child);
      const w = 1 / counts[e.relation];
      const base = off + e.relation * H;
      for (let j = 0; j < H; j++) out[o + j] += w * arr[base + j];
    }
    for (let j = 0; j < H; j++) if (!(out[o + j] > 0)) out[o + j] = 0;
  }

  advance(rows: Int32Array, tokens: Int32Array): tf.Tensor2D {
    const H = this.hidden;
    const n = rows.length;
    const W = SLOTS * H;
    const edgesOf: (readonly OperandEdge[])[] = [];
    // Layer 1 from the per-token table.
    let h = new Float32Array(n * H);
    for (let i = 0; i < n; i++) {
      const r = rows[i];
      const tokensOfRow = this.tokensOf[r];
      tokensOfRow.push(tokens[i]);
      const edges = this.builders[r].push(tokens[i]);
      edgesOf.push(edges);
      this.combine(h, i * H, this.biases[0], this.tokenTransform, tokens[i] * W, edges, (child) => [this.tokenTransform, tokensOfRow[child] * W]);
    }
    // Later layers: transform the new nodes' inputs in one matMul, then combine.
    for (let l = 0; l < this.laterWeights.length; l++) {
      const z = readAndDispose(tf.tidy(() => mm(tf.tensor2d(h, [n, H]), this.laterWeights[l])));
      const store = this.transformed[l];
      const next = new Float32Array(n * H);
      for (let i = 0; i < n; i++) {
        const r = rows[i];
        const node = this.tokensOf[r].length - 1;
        store[r].set(z.subarray(i * W, (i + 1) * W), node * W);
        this.combine(next, i * H, this.biases[l + 1], store[r], node * W, edgesOf[i], (child) => [store[r], child * W]);
      }
      h = next;
    }
    // Mean over the nodes so far.
    const out = new Float32Array(n * H);
    for (let i = 0; i < n; i++) {
      const r = rows[i];
      const count = this.tokensOf[r].length;
      for (let j = 0; j < H; j++) {
        this.sums[r * H + j] += h[i * H + j];
        out[i * H + j] = this.sums[r * H + j] / count;
      }
    }
    return tf.tensor2d(out, [n, H]);
  }

  dispose(): void {}
}
