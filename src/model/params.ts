/**
 * Named trainable parameters with deterministic initialisation (our seeded
 * Rng, never tfjs's initialisers) and exact (de)serialisation for checkpoints.
 */
import type { Rng } from '../util/rng.js';
import { tf } from './tf.js';

export interface ParamEntry {
  readonly name: string;
  readonly variable: tf.Variable;
}

export type Init =
  | { kind: 'uniform'; bound: number }
  | { kind: 'normal'; std: number }
  | { kind: 'zeros' }
  | { kind: 'ones' };

/** PyTorch nn.Linear's default: U(-1/sqrt(fanIn), 1/sqrt(fanIn)) for weight and bias. */
export const linearInit = (fanIn: number): Init => ({ kind: 'uniform', bound: 1 / Math.sqrt(fanIn) });
/** Glorot (Xavier) uniform. */
export const glorotInit = (fanIn: number, fanOut: number): Init => ({ kind: 'uniform', bound: Math.sqrt(6 / (fanIn + fanOut)) });

export class ParamStore {
  private readonly entries: ParamEntry[] = [];
  private readonly byName = new Map<string, tf.Variable>();

  constructor(private readonly rng: Rng) {}

  /** Creates a parameter; creation order fixes the random stream, so it is part of the model's definition. */
  add(name: string, shape: number[], init: Init): tf.Variable {
    if (this.byName.has(name)) throw new Error(`duplicate parameter ${name}`);
    const size = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(size);
    switch (init.kind) {
      case 'uniform':
        for (let i = 0; i < size; i++) data[i] = (2 * this.rng.next() - 1) * init.bound;
        break;
      case 'normal':
        for (let i = 0; i < size; i++) data[i] = this.rng.normal() * init.std;
        break;
      case 'ones':
        data.fill(1);
        break;
      case 'zeros':
        break;
    }
    const initial = tf.tensor(data, shape);
    const variable = tf.variable(initial, true);
    initial.dispose();
    this.entries.push({ name, variable });
    this.byName.set(name, variable);
    return variable;
  }

  get(name: string): tf.Variable {
    const v = this.byName.get(name);
    if (!v) throw new Error(`no parameter ${name}`);
    return v;
  }

  list(): readonly ParamEntry[] {
    return this.entries;
  }

  variables(): tf.Variable[] {
    return this.entries.map((e) => e.variable);
  }

  get totalSize(): number {
    return this.entries.reduce((s, e) => s + e.variable.size, 0);
  }

  /** Every parameter's values, concatenated in creation order. */
  exportFlat(): Float32Array {
    const out = new Float32Array(this.totalSize);
    let o = 0;
    for (const e of this.entries) {
      out.set(e.variable.dataSync() as Float32Array, o);
      o += e.variable.size;
    }
    return out;
  }

  /** Restores values written by exportFlat (same model definition). */
  importFlat(flat: Float32Array): void {
    if (flat.length !== this.totalSize) {
      throw new Error(`checkpoint has ${flat.length} parameter values, this model has ${this.totalSize}: was it written with another encoder or backward policy?`);
    }
    let o = 0;
    for (const e of this.entries) {
      const n = e.variable.size;
      const value = tf.tensor(flat.slice(o, o + n), e.variable.shape);
      e.variable.assign(value);
      value.dispose();
      o += n;
    }
  }

  /** Names and shapes, to check a checkpoint matches. */
  manifest(): { name: string; shape: number[] }[] {
    return this.entries.map((e) => ({ name: e.name, shape: [...e.variable.shape] }));
  }

  dispose(): void {
    for (const e of this.entries) e.variable.dispose();
    this.entries.length = 0;
    this.byName.clear();
  }
}
