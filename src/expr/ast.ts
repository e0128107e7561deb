/**
 * The expression tree. One node per token of the text / RPN form: an operator
 * node's `args` are its operands in order, and for rolling and pair-rolling
 * operators the last argument is the window node. So the tree is exactly the
 * token tree (the graph encoder walks it directly).
 */
import { FEATURES, type FeatureName } from '../data/types.js';
import { isFeaturedResult, OPERATOR_BY_NAME, type OperatorInfo } from './operators.js';

export interface FeatureExpr {
  readonly type: 'feature';
  readonly feature: FeatureName;
}
export interface ConstExpr {
  readonly type: 'const';
  readonly value: number;
}
/** A window (rolling length, or the shift of Ref / TsDelta); only as the last argument of a rolling operator. */
export interface WindowExpr {
  readonly type: 'window';
  readonly value: number;
}
export interface OpExpr {
  readonly type: 'op';
  readonly op: OperatorInfo;
  readonly args: readonly Expr[];
}
export type Expr = FeatureExpr | ConstExpr | WindowExpr | OpExpr;

export const featureExpr = (feature: FeatureName): FeatureExpr => ({ type: 'feature', feature });
export const constExpr = (value: number): ConstExpr => ({ type: 'const', value });
export const windowExpr = (value: number): WindowExpr => ({ type: 'window', value });
export const opExpr = (op: OperatorInfo | string, ...args: Expr[]): OpExpr => {
  const info = typeof op === 'string' ? OPERATOR_BY_NAME.get(op) : op;
  if (!info) throw new Error(`unknown operator ${String(op)}`);
  if (args.length !== info.arity) throw new Error(`${info.name} takes ${info.arity} arguments, got ${args.length}`);
  return { type: 'op', op: info, args };
};

/** Index of a feature in the StockData feature axis. */
export const featureIndex = (f: FeatureName): number => FEATURES.indexOf(f);

/** Window value of a rolling / pair-rolling node (its last argument). */
export function windowOf(e: OpExpr): number {
  const w = e.args[e.args.length - 1];
  if (w.type !== 'window') throw new Error(`${e.op.name}: last argument is not a window`);
  return w.value;
}

/**
 * "Featured" (SPEC §2.3): depends on at least one feature. A constant or a
 * window is not; Greater / Less only if BOTH sides are; other operators if ANY
 * operand is.
 */
export function isFeatured(e: Expr): boolean {
  switch (e.type) {
    case 'feature':
      return true;
    case 'const':
    case 'window':
      return false;
    case 'op': {
      const operands = e.op.kind === 'rolling' || e.op.kind === 'pairRolling' ? e.args.slice(0, -1) : e.args;
      return isFeaturedResult(e.op, operands, isFeatured);
    }
  }
}
