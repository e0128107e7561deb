/**
 * The expression tree of a token sequence (reverse Polish), for the graph
 * encoder: one node per token, an edge from each operand to its operator
 * (child -> parent) labelled with one of six relation types (SPEC §5).
 * Token ids index VOCAB directly (the published graph builder is off by one
 * here; this one is not). BEG is a node without edges.
 */
import { BEG_ID, SEP_ID, VOCAB } from '../expr/vocab.js';

export const RELATION_NAMES = ['unary operand', 'commutative operand', 'left operand', 'right operand', 'rolling operand', 'rolling window'] as const;
export const N_RELATIONS = RELATION_NAMES.length;
export const REL_UNARY = 0;
export const REL_COMMUTATIVE = 1;
export const REL_LEFT = 2;
export const REL_RIGHT = 3;
export const REL_ROLLING_OPERAND = 4;
export const REL_ROLLING_WINDOW = 5;

export interface TokenTree {
  /** Per position: the position of its operator, or -1 (a root: BEG, or a subtree not yet consumed). */
  readonly parent: Int32Array;
  /** Per position: the relation of the edge to its parent, or -1. */
  readonly relation: Int32Array;
}

/**
 * Builds the forest of a token prefix. Operands are popped right to left, so
 * a binary operator's first pop is its right operand and a rolling
 * operator's first pop is its window (pair rolling: window, then both series).
 */
export function buildTokenTree(tokenIds: ArrayLike<number>, length = tokenIds.length): TokenTree {
  const parent = new Int32Array(length).fill(-1);
  const relation = new Int32Array(length).fill(-1);
  const builder = new TreeBuilder();
  for (let pos = 0; pos < length; pos++) {
    for (const { child, relation: r } of builder.push(tokenIds[pos])) {
      parent[child] = pos;
      relation[child] = r;
    }
  }
  return { parent, relation };
}

/** One operand edge of a newly appended operator. */
export interface OperandEdge {
  readonly child: number;
  readonly relation: number;
}

const NO_EDGES: readonly OperandEdge[] = [];

/** Appends tokens one at a time (node = position) and reports each new node's operand edges. */
export class TreeBuilder {
  private readonly stack: number[] = [];
  private position = 0;

  /** Appends a token; returns the edges from its operands (empty for leaves and BEG). */
  push(id: number): readonly OperandEdge[] {
    const pos = this.position++;
    if (id === BEG_ID) return NO_EDGES;
    if (id === SEP_ID) throw new Error('SEP is not part of a state');
    const token = VOCAB[id];
    if (token === undefined) throw new Error(`unknown token id ${id}`);
    let edges = NO_EDGES;
    if (token.type === 'op') {
      const op = token.op;
      if (this.stack.length < op.arity) throw new Error(`${op.name} at position ${pos} has ${this.stack.length} operands, needs ${op.arity}`);
      const out: OperandEdge[] = [];
      for (let k = 0; k < op.arity; k++) out.push({ child: this.stack.pop() as number, relation: relationOf(op.kind, op.commutative, k) });
      edges = out;
    }
    this.stack.push(pos);
    return edges;
  }
}

/** Relation of the k-th popped operand (k = 0 is the rightmost). */
function relationOf(kind: 'unary' | 'binary' | 'rolling' | 'pairRolling', commutative: boolean, k: number): number {
  switch (kind) {
    case 'unary':
      return REL_UNARY;
    case 'binary':
      if (commutative) return REL_COMMUTATIVE;
      return k === 0 ? REL_RIGHT : REL_LEFT;
    case 'rolling':
    case 'pairRolling':
      return k === 0 ? REL_ROLLING_WINDOW : REL_ROLLING_OPERAND;
  }
}
