/**
 * The operator table: every part of the system (parser, printer, RPN builder
 * and masks, evaluator, graph encoder relations, docs) reads operators from here.
 * Order matters: it is the order of the action space (SPEC §2.1).
 */
export type OperatorKind = 'unary' | 'binary' | 'rolling' | 'pairRolling';

export interface OperatorInfo {
  readonly name: string;
  readonly kind: OperatorKind;
  /** Operands including the window for rolling kinds (unary 1, binary 2, rolling 2, pair rolling 3). */
  readonly arity: number;
  /** Operand order does not matter (graph encoder: one shared relation type). */
  readonly commutative: boolean;
  /** One line for docs and `--help`. */
  readonly doc: string;
}

const unary = (name: string, doc: string): OperatorInfo => ({ name, kind: 'unary', arity: 1, commutative: false, doc });
const binary = (name: string, commutative: boolean, doc: string): OperatorInfo => ({ name, kind: 'binary', arity: 2, commutative, doc });
const rolling = (name: string, doc: string): OperatorInfo => ({ name, kind: 'rolling', arity: 2, commutative: false, doc });
const pairRolling = (name: string, doc: string): OperatorInfo => ({ name, kind: 'pairRolling', arity: 3, commutative: false, doc });

export const OPERATORS: readonly OperatorInfo[] = [
  unary('Abs', '|x|'),
  unary('SLog1p', 'sign(x)*log1p(|x|)'),
  unary('Inv', '1/x'),
  unary('Sign', 'sign of x (0 for 0)'),
  unary('Log', 'natural log (NaN for negatives)'),
  unary('Rank', 'cross-sectional rank per day, 0..(n-1)/n'),
  binary('Add', true, 'x + y'),
  binary('Sub', false, 'x - y'),
  binary('Mul', true, 'x * y'),
  binary('Div', false, 'x / y'),
  binary('Pow', false, 'x ** y'),
  binary('Greater', false, 'elementwise max'),
  binary('Less', false, 'elementwise min'),
  rolling('Ref', 'x, d days ago (negative d: future)'),
  rolling('TsMean', 'rolling mean'),
  rolling('TsSum', 'rolling sum'),
  rolling('TsStd', 'rolling std (n-1)'),
  rolling('TsIr', 'rolling mean / std'),
  rolling('TsMinMaxDiff', 'rolling max - min'),
  rolling('TsMaxDiff', 'last - rolling max'),
  rolling('TsMinDiff', 'last - rolling min'),
  rolling('TsVar', 'rolling variance (n-1)'),
  rolling('TsSkew', 'rolling skewness (biased moments)'),
  rolling('TsKurt', 'rolling excess kurtosis (m4 biased, var unbiased)'),
  rolling('TsMax', 'rolling max'),
  rolling('TsMin', 'rolling min'),
  rolling('TsMed', 'rolling lower median'),
  rolling('TsMad', 'rolling mean absolute deviation around the mean'),
  rolling('TsRank', 'rank of the last value in its window (larger -> smaller)'),
  rolling('TsDelta', 'x[t] - x[t-d]'),
  rolling('TsDiv', 'last / rolling mean'),
  rolling('TsPctChange', '(last - first) / first over the window'),
  rolling('TsWMA', 'linearly weighted moving average'),
  rolling('TsEMA', 'exponentially weighted moving average'),
  pairRolling('TsCov', 'rolling sample covariance'),
  pairRolling('TsCorr', 'rolling correlation'),
];

export const OPERATOR_BY_NAME: ReadonlyMap<string, OperatorInfo> = new Map(OPERATORS.map((op) => [op.name, op]));

/** Windows and constants of the action space, in order. */
export const WINDOWS: readonly number[] = [10, 20, 30, 40, 50];
export const CONSTANTS: readonly number[] = [-30, -10, -5, -2, -1, -0.5, -0.01, 0.01, 0.5, 1, 2, 5, 10, 30];
