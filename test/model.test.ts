/** The miner's networks: tree builder, encoders, heads, gradients, wasm vs cpu. */
import { strict as assert } from 'node:assert';
import { describe, it, before } from 'node:test';
import { BEG_ID, N_ACTIONS, tokenId } from '../src/expr/vocab.js';
import { ENCODER_TYPES, type EncoderType, type TokenBatch } from '../src/model/encoder.js';
import { messageRows } from '../src/model/gnn.js';
import { GflowPolicy } from '../src/model/policy.js';
import { tf, useBackend } from '../src/model/tf.js';
import {
  buildTokenTree, REL_COMMUTATIVE, REL_LEFT, REL_RIGHT, REL_ROLLING_OPERAND, REL_ROLLING_WINDOW, REL_UNARY,
} from '../src/model/tree.js';
import { trajectoryBalance, type TrajectoryBatch } from '../src/miner/trajectoryBalance.js';

const ids = (names: string): number[] =>
  names.split(' ').map((n) => {
    const id = tokenId(n);
    if (id === undefined) throw new Error(`no token ${n}`);
    return id;
  });

/** Rows of token names (BEG first), padded with BEG to the longest. */
function batchOf(rows: string[]): TokenBatch {
  const seqs = rows.map(ids);
  const length = Math.max(...seqs.map((s) => s.length));
  const tokens = new Int32Array(rows.length * length).fill(BEG_ID);
  seqs.forEach((s, b) => tokens.set(s, b * length));
  return { tokens, batch: rows.length, length };
}

const ROWS = [
  'BEG $close $open Sub $volume 10 TsMean Div Abs',
  'BEG $high $low Add 20 TsStd',
  'BEG $close $volume 30 TsCorr Rank -0.5 Mul',
  'BEG $vwap',
];

describe('expression tree of a token sequence (graph encoder input)', () => {
  it('labels the operands of each operator kind with the right relation, child -> parent', () => {
    // BEG $close $open Sub : Sub's left is $close, its right $open
    let t = buildTokenTree(ids('BEG $close $open Sub'));
    assert.deepEqual([...t.parent], [-1, 3, 3, -1]);
    assert.deepEqual([...t.relation], [-1, REL_LEFT, REL_RIGHT, -1]);
    // Add is commutative: both operands share one relation
    t = buildTokenTree(ids('BEG $high $low Add'));
    assert.deepEqual([...t.relation], [-1, REL_COMMUTATIVE, REL_COMMUTATIVE, -1]);
    // rolling: operand and window; then a unary on top
    t = buildTokenTree(ids('BEG $close 10 TsMean Abs'));
    assert.deepEqual([...t.parent], [-1, 3, 3, 4, -1]);
    assert.deepEqual([...t.relation], [-1, REL_ROLLING_OPERAND, REL_ROLLING_WINDOW, REL_UNARY, -1]);
    // pair rolling: both series are rolling operands, then the window
    t = buildTokenTree(ids('BEG $close $volume 20 TsCorr'));
    assert.deepEqual([...t.parent], [-1, 4, 4, 4, -1]);
    assert.deepEqual([...t.relation], [-1, REL_ROLLING_OPERAND, REL_ROLLING_OPERAND, REL_ROLLING_WINDOW, -1]);
    // nested, with a constant operand on the right of Div
    t = buildTokenTree(ids('BEG $close $open Sub $volume 10 TsMean Div'));
    assert.deepEqual([...t.parent], [-1, 3, 3, 7, 6, 6, 7, -1]);
    assert.deepEqual([...t.relation], [-1, REL_LEFT, REL_RIGHT, REL_LEFT, REL_ROLLING_OPERAND, REL_ROLLING_WINDOW, REL_RIGHT, -1]);
  });

  it('maps token ids to their own operators (no off-by-one)', () => {
    // Mul (commutative) sits right after Sub in the vocabulary and Div right after Mul:
    // an off-by-one mapping would label Mul's operands left/right and Div's commutative.
    assert.deepEqual([...buildTokenTree(ids('BEG $close $open Mul')).relation], [-1, REL_COMMUTATIVE, REL_COMMUTATIVE, -1]);
    assert.deepEqual([...buildTokenTree(ids('BEG $close $open Div')).relation], [-1, REL_LEFT, REL_RIGHT, -1]);
    assert.deepEqual([...buildTokenTree(ids('BEG $close Abs')).relation], [-1, REL_UNARY, -1]);
    // Ref (first rolling op) right after Less (last binary)
    assert.deepEqual([...buildTokenTree(ids('BEG $close 10 Ref')).relation], [-1, REL_ROLLING_OPERAND, REL_ROLLING_WINDOW, -1]);
    assert.deepEqual([...buildTokenTree(ids('BEG $close $open Less')).relation], [-1, REL_LEFT, REL_RIGHT, -1]);
  });

  it('keeps unconsumed subtrees of a prefix as separate roots', () => {
    const t = buildTokenTree(ids('BEG $close 10 TsMean $open'));
    assert.deepEqual([...t.parent], [-1, 3, 3, -1, -1]);
  });

  it('builds mean-per-relation message rows', () => {
    const m = messageRows(batchOf(['BEG $high $low Add']));
    const S = 7;
    const row = (p: number) => {
      const out = new Map<number, number>();
      for (let k = m.rowStart[p]; k < m.rowStart[p + 1]; k++) out.set(m.colIndex[k], m.weights[k]);
      return out;
    };
    // Add's row: its root weight and both operands under the commutative relation, averaged.
    assert.deepEqual(row(3), new Map([[3 * S + 6, 1], [1 * S + REL_COMMUTATIVE, 0.5], [2 * S + REL_COMMUTATIVE, 0.5]]));
    for (const p of [0, 1, 2]) assert.deepEqual(row(p), new Map([[p * S + 6, 1]]));
    assert.equal(m.cols, 4 * S);
  });

  it('rejects a sequence whose operator lacks operands', () => {
    assert.throws(() => buildTokenTree(ids('BEG $close Add')), /needs 2/);
  });
});

describe('encoders and heads (wasm)', () => {
  before(async () => {
    await useBackend('wasm');
  });

  for (const encoder of ENCODER_TYPES) {
    it(`${encoder}: shapes of prefix embeddings and logits; prefixes do not see later tokens`, () => {
      const policy = new GflowPolicy({ encoder, seed: 3, backwardPolicy: 'learned' });
      try {
        const b = batchOf(ROWS);
        tf.tidy(() => {
          const out = policy.prefixOutputs(b);
          assert.deepEqual(out.embeddings.shape, [4, 9, 128]);
          assert.deepEqual(out.forwardLogits.shape, [4, 9, N_ACTIONS]);
          assert.deepEqual(out.backwardLogits?.shape, [4, 9, N_ACTIONS - 1]);
          // Position t of a row equals the encoding of that row's first t+1 tokens alone.
          const full = out.embeddings.arraySync();
          const short = policy.prefixOutputs(batchOf(['BEG $close $open Sub'])).embeddings.arraySync();
          for (let t = 0; t < 4; t++) for (let j = 0; j < 128; j++) assert.ok(Math.abs(full[0][t][j] - short[0][t][j]) < 1e-5, `${encoder} t=${t}`);
          // A different continuation does not change earlier positions.
          const other = policy.prefixOutputs(batchOf(['BEG $close $open Add $high Mul'])).embeddings.arraySync();
          for (let t = 0; t < 3; t++) for (let j = 0; j < 128; j++) assert.ok(Math.abs(full[0][t][j] - other[0][t][j]) < 1e-5);
        });
      } finally {
        policy.dispose();
      }
    });

    it(`${encoder}: the sampling session gives the one-pass embeddings`, () => {
      const policy = new GflowPolicy({ encoder, seed: 4 });
      try {
        const b = batchOf(ROWS);
        const full = tf.tidy(() => policy.prefixOutputs(b).embeddings.arraySync());
        const session = policy.startSession(4);
        const seqs = ROWS.map(ids);
        for (let t = 0; t < b.length; t++) {
          const rows = Int32Array.from([0, 1, 2, 3].filter((r) => seqs[r].length > t));
          const tokens = Int32Array.from(rows, (r) => seqs[r][t]);
          const { embeddings, logits } = session.advance(rows, tokens);
          assert.equal(logits.length, rows.length * N_ACTIONS);
          rows.forEach((r, i) => {
            for (let j = 0; j < 128; j++) assert.ok(Math.abs(embeddings[i * 128 + j] - full[r][t][j]) < 1e-4, `${encoder} row ${r} t ${t}`);
          });
        }
        session.dispose();
      } finally {
        policy.dispose();
      }
    });

    it(`${encoder}: the TB loss sends a non-zero gradient to every parameter (learned backward, entropy, log Z)`, () => {
      const policy = new GflowPolicy({ encoder, seed: 5, backwardPolicy: 'learned' });
      try {
        const b = batchOf(ROWS);
        const tb = handBatch(b);
        const vars = policy.params.variables();
        const before = tf.memory().numTensors;
        const { value, grads } = tf.variableGrads(() => {
          const dropout = { rate: 0.1, mask: (n: number) => Float32Array.from({ length: n }, (_, i) => (i % 10 === 3 ? 0 : 1 / 0.9)) };
          const out = policy.prefixOutputs(b, dropout);
          return trajectoryBalance(tb, out.forwardLogits, policy.logZ, { entropyCoef: 0.01, entropyTemperature: 1 }, out.backwardLogits).loss;
        }, vars);
        assert.ok(Number.isFinite(value.dataSync()[0]));
        policy.params.list().forEach((p) => {
          const g = grads[p.variable.name];
          assert.ok(g, `no gradient for ${p.name}`);
          const norm = tf.tidy(() => tf.norm(g).dataSync()[0]);
          assert.ok(norm > 0 && Number.isFinite(norm), `zero or non-finite gradient for ${p.name}: ${norm}`);
        });
        value.dispose();
        for (const k of Object.keys(grads)) grads[k].dispose();
        assert.equal(tf.memory().numTensors, before, 'tensors leaked');
      } finally {
        policy.dispose();
      }
    });
  }
});

/** A trajectory batch over token rows: each row's actions are its next tokens, then SEP. */
function handBatch(b: TokenBatch): TrajectoryBatch {
  const S = b.length;
  const actions = new Int32Array(b.batch * S).fill(-1);
  const allowed = new Uint8Array(b.batch * S * N_ACTIONS).fill(1);
  const lengths = new Int32Array(b.batch);
  for (let r = 0; r < b.batch; r++) {
    const row = Array.from(b.tokens.subarray(r * S, (r + 1) * S));
    let n = row.length;
    while (n > 1 && row[n - 1] === BEG_ID) n--;
    for (let t = 0; t + 1 < n; t++) actions[r * S + t] = row[t + 1] - 1;
    actions[r * S + n - 1] = N_ACTIONS - 1; // SEP
    lengths[r] = n;
  }
  return { batch: b.batch, steps: S, actions, allowed, lengths, logRewards: Float32Array.from({ length: b.batch }, (_, i) => -1 - i) };
}

describe('trajectory balance', () => {
  before(async () => {
    await useBackend('wasm');
  });

  it('equals a hand computation on a two-step trajectory', () => {
    // Step 0: actions 0, 1, 2 allowed (logits 1, 2, 0.5); the sampler took action 1.
    // Step 1: actions 4 and SEP allowed (logits -1, 0.25); it took SEP.
    const logits = new Float32Array(2 * N_ACTIONS).fill(7); // masked entries must not matter
    const allowed = new Uint8Array(2 * N_ACTIONS);
    const set = (t: number, a: number, l: number) => {
      logits[t * N_ACTIONS + a] = l;
      allowed[t * N_ACTIONS + a] = 1;
    };
    set(0, 0, 1);
    set(0, 1, 2);
    set(0, 2, 0.5);
    set(1, 4, -1);
    set(1, N_ACTIONS - 1, 0.25);
    const logZ = 0.3;
    const logR = Math.log(0.2);
    const coef = 0.05;
    const T = 2;
    const tb: TrajectoryBatch = {
      batch: 1, steps: 2, actions: Int32Array.from([1, N_ACTIONS - 1]), allowed, lengths: Int32Array.from([2]), logRewards: Float32Array.from([logR]),
    };
    // By hand:
    const lse = (xs: number[]) => Math.log(xs.reduce((s, x) => s + Math.exp(x), 0));
    const logPf = 2 - lse([1, 2, 0.5]) + (0.25 - lse([-1, 0.25]));
    const entropy = (xs: number[]) => {
      const z = lse(xs.map((x) => x / T));
      return -xs.reduce((s, x) => s + Math.exp(x / T - z) * (x / T - z), 0);
    };
    const expected = (logZ + logPf - logR) ** 2 - coef * (entropy([1, 2, 0.5]) + entropy([-1, 0.25]));
    const got = tf.tidy(() => {
      const terms = trajectoryBalance(tb, tf.tensor3d(logits, [1, 2, N_ACTIONS]), tf.scalar(logZ), { entropyCoef: coef, entropyTemperature: T });
      return { loss: terms.loss.dataSync()[0], logPf: terms.logPf.dataSync()[0], logPb: terms.logPb.dataSync()[0] };
    });
    assert.ok(Math.abs(got.logPf - logPf) < 1e-5, `log P_F ${got.logPf} vs ${logPf}`);
    assert.equal(got.logPb, 0);
    assert.ok(Math.abs(got.loss - expected) < 1e-4, `loss ${got.loss} vs ${expected}`);
  });

  it('learned backward policy: P_B of transition t is read at state t+1, SEP has P_B = 1', () => {
    const S = 3;
    const forward = new Float32Array(S * N_ACTIONS);
    const backward = new Float32Array(S * (N_ACTIONS - 1));
    for (let i = 0; i < backward.length; i++) backward[i] = Math.sin(i);
    const tb: TrajectoryBatch = {
      batch: 1, steps: S, actions: Int32Array.from([5, 9, N_ACTIONS - 1]), allowed: new Uint8Array(S * N_ACTIONS).fill(1), lengths: Int32Array.from([3]), logRewards: Float32Array.from([0]),
    };
    const nB = N_ACTIONS - 1;
    const logSoftmaxAt = (t: number, a: number) => {
      const row = Array.from(backward.subarray(t * nB, (t + 1) * nB));
      return row[a] - Math.log(row.reduce((s, x) => s + Math.exp(x), 0));
    };
    const expected = logSoftmaxAt(1, 5) + logSoftmaxAt(2, 9);
    const got = tf.tidy(() =>
      trajectoryBalance(tb, tf.tensor3d(forward, [1, S, N_ACTIONS]), tf.scalar(0), { entropyCoef: 0, entropyTemperature: 1 }, tf.tensor3d(backward, [1, S, nB])).logPb.dataSync()[0],
    );
    assert.ok(Math.abs(got - expected) < 1e-5, `${got} vs ${expected}`);
  });

  it('ignores steps after the end of shorter trajectories', () => {
    const S = 4;
    const logits = Float32Array.from({ length: 2 * S * N_ACTIONS }, (_, i) => Math.cos(i));
    const tb: TrajectoryBatch = {
      batch: 2, steps: S, actions: Int32Array.from([3, N_ACTIONS - 1, -1, -1, 1, 2, 3, N_ACTIONS - 1]), allowed: new Uint8Array(2 * S * N_ACTIONS).fill(1),
      lengths: Int32Array.from([2, 4]), logRewards: Float32Array.from([-2, -3]),
    };
    const both = tf.tidy(() => trajectoryBalance(tb, tf.tensor3d(logits, [2, S, N_ACTIONS]), tf.scalar(0), { entropyCoef: 0.1, entropyTemperature: 1 }).entropy.arraySync());
    const alone: TrajectoryBatch = { batch: 1, steps: 2, actions: Int32Array.from([3, N_ACTIONS - 1]), allowed: new Uint8Array(2 * N_ACTIONS).fill(1), lengths: Int32Array.from([2]), logRewards: Float32Array.from([-2]) };
    const first = tf.tidy(() => trajectoryBalance(alone, tf.tensor3d(logits.slice(0, 2 * N_ACTIONS), [1, 2, N_ACTIONS]), tf.scalar(0), { entropyCoef: 0.1, entropyTemperature: 1 }).entropy.arraySync());
    assert.ok(Math.abs(both[0] - first[0]) < 1e-5);
  });
});

describe('wasm and cpu backends agree', () => {
  /** Forward logits and the gradient of the TB loss, on one backend. */
  async function run(backend: 'wasm' | 'cpu', encoder: EncoderType): Promise<{ logits: Float32Array; grads: Float32Array[] }> {
    await useBackend(backend);
    const policy = new GflowPolicy({ encoder, seed: 11, backwardPolicy: 'learned' });
    try {
      const b = batchOf(ROWS);
      const tb = handBatch(b);
      const vars = policy.params.variables();
      let logits: Float32Array = new Float32Array();
      const { value, grads } = tf.variableGrads(() => {
        const out = policy.prefixOutputs(b);
        logits = out.forwardLogits.dataSync() as Float32Array;
        return trajectoryBalance(tb, out.forwardLogits, policy.logZ, { entropyCoef: 0.01, entropyTemperature: 1 }, out.backwardLogits).loss;
      }, vars);
      const g = vars.map((v) => grads[v.name].dataSync() as Float32Array);
      value.dispose();
      for (const k of Object.keys(grads)) grads[k].dispose();
      return { logits, grads: g };
    } finally {
      policy.dispose();
    }
  }

  for (const encoder of ENCODER_TYPES) {
    it(`${encoder}: same logits and gradients`, async () => {
      const cpu = await run('cpu', encoder);
      const wasm = await run('wasm', encoder);
      let maxLogit = 0;
      for (let i = 0; i < cpu.logits.length; i++) maxLogit = Math.max(maxLogit, Math.abs(cpu.logits[i] - wasm.logits[i]));
      assert.ok(maxLogit < 1e-4, `${encoder} logits differ by ${maxLogit}`);
      cpu.grads.forEach((g, k) => {
        let scale = 0;
        let diff = 0;
        for (let i = 0; i < g.length; i++) {
          scale = Math.max(scale, Math.abs(g[i]));
          diff = Math.max(diff, Math.abs(g[i] - wasm.grads[k][i]));
        }
        assert.ok(diff <= 1e-3 * scale + 1e-6, `${encoder} gradient ${k} differs by ${diff} (scale ${scale})`);
      });
    });
  }
});
