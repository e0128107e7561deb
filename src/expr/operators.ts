/**
 * The operator table: every part of the system (parser, printer, RPN builder
 * and masks, evaluator, graph encoder relations, docs) reads operators from here.
 * Order matters: it is the order of the action space (SPEC §2.1).
 */
import * as K from './kernels/index.js';
import type { BinaryKernel, OperatorKernel, PairRollingKernel, RollingKernel, RowSpan, UnaryKernel } from './kernels/types.js';

export type OperatorKind = 'unary' | 'binary' | 'rolling' | 'pairRolling';
export type { OperatorKernel } from './kernels/types.js';

export interface OperatorInfo {
  readonly name: string;
  readonly kind: OperatorKind;
  /** Operands including the window for rolling kinds (unary 1, binary 2, rolling 2, pair rolling 3). */
  readonly arity: number;
  /** Operand order does not matter (binary operators: the graph encoder gives both operands one relation type). */
  readonly commutative: boolean;
  /**
   * The result depends on a feature only when every operand does (SPEC §2.3: Greater and Less, whose
   * max / min with a constant can be that constant); otherwise one featured operand suffices.
   */
  readonly featuredOnlyIfAll: boolean;
  /** One line for docs and `--help`. */
  readonly doc: string;
  /** The numeric implementation (src/expr/kernels); its kind equals `kind`. */
  readonly kernel: OperatorKernel;
}

const unary = (name: string, doc: string, run: UnaryKernel, crossSection = false): OperatorInfo => ({
  name,
  kind: 'unary',
  arity: 1,
  commutative: false,
  featuredOnlyIfAll: false,
  doc,
  kernel: { kind: 'unary', run, crossSection },
});
const binary = (name: string, commutative: boolean, doc: string, run: BinaryKernel, featuredOnlyIfAll = false): OperatorInfo => ({
  name,
  kind: 'binary',
  arity: 2,
  commutative,
  featuredOnlyIfAll,
  doc,
  kernel: { kind: 'binary', run },
});
const rolling = (name: string, doc: string, run: RollingKernel, rows: RowSpan = 'window'): OperatorInfo => ({
  name,
  kind: 'rolling',
  arity: 2,
  commutative: false,
  featuredOnlyIfAll: false,
  doc,
  kernel: { kind: 'rolling', run, rows },
});
const pairRolling = (name: string, doc: string, run: PairRollingKernel): OperatorInfo => ({
  name,
  kind: 'pairRolling',
  arity: 3,
  commutative: false,
  featuredOnlyIfAll: false,
  doc,
  kernel: { kind: 'pairRolling', run },
});

export const OPERATORS: readonly OperatorInfo[] = [
  unary('Abs', '|x|', K.absKernel),
  unary('SLog1p', 'sign(x)*log1p(|x|)', K.slog1pKernel),
  unary('Inv', '1/x', K.invKernel),
  unary('Sign', 'sign of x (0 for 0)', K.signKernel),
  unary('Log', 'natural log (NaN for negatives)', K.logKernel),
  unary('Rank', 'cross-sectional rank per day, 0..(n-1)/n', K.rankKernel, true),
  binary('Add', true, 'x + y', K.addKernel),
  binary('Sub', false, 'x - y', K.subKernel),
  binary('Mul', true, 'x * y', K.mulKernel),
  binary('Div', false, 'x / y', K.divKernel),
  binary('Pow', false, 'x ** y', K.powKernel),
  binary('Greater', false, 'elementwise max', K.greaterKernel, true),
  binary('Less', false, 'elementwise min', K.lessKernel, true),
  rolling('Ref', 'x, d days ago (negative d: future)', K.refKernel, 'shift'),
  rolling('TsMean', 'rolling mean', K.tsMeanKernel),
  rolling('TsSum', 'rolling sum', K.tsSumKernel),
  rolling('TsStd', 'rolling std (n-1)', K.tsStdKernel),
  rolling('TsIr', 'rolling mean / std', K.tsIrKernel),
  rolling('TsMinMaxDiff', 'rolling max - min', K.tsMinMaxDiffKernel),
  rolling('TsMaxDiff', 'last - rolling max', K.tsMaxDiffKernel),
  rolling('TsMinDiff', 'last - rolling min', K.tsMinDiffKernel),
  rolling('TsVar', 'rolling variance (n-1)', K.tsVarKernel),
  rolling('TsSkew', 'rolling skewness (biased moments)', K.tsSkewKernel),
  rolling('TsKurt', 'rolling excess kurtosis (m4 biased, var unbiased)', K.tsKurtKernel),
  rolling('TsMax', 'rolling max', K.tsMaxKernel),
  rolling('TsMin', 'rolling min', K.tsMinKernel),
  rolling('TsMed', 'rolling lower median', K.tsMedKernel),
  rolling('TsMad', 'rolling mean absolute deviation around the mean', K.tsMadKernel),
  rolling('TsRank', 'descending rank of the last value in its window / d (1/d for the max, 1 for the min, ties averaged, 0 for NaN)', K.tsRankKernel),
  rolling('TsDelta', 'x[t] - x[t-d]', K.tsDeltaKernel, 'delta'),
  rolling('TsDiv', 'last / rolling mean', K.tsDivKernel),
  rolling('TsPctChange', '(last - first) / first over the window', K.tsPctChangeKernel),
  rolling('TsWMA', 'linearly weighted moving average', K.tsWmaKernel),
  rolling('TsEMA', 'exponentially weighted moving average', K.tsEmaKernel),
  pairRolling('TsCov', 'rolling sample covariance', K.tsCovKernel),
  pairRolling('TsCorr', 'rolling correlation', K.tsCorrKernel),
];

export const OPERATOR_BY_NAME: ReadonlyMap<string, OperatorInfo> = new Map(OPERATORS.map((op) => [op.name, op]));

/** Windows and constants of the action space, in order. */
export const WINDOWS: readonly number[] = [10, 20, 30, 40, 50];
export const CONSTANTS: readonly number[] = [-30, -10, -5, -2, -1, -0.5, -0.01, 0.01, 0.5, 1, 2, 5, 10, 30];

/** How an operator is written: `Abs(x)`, `Add(x, y)`, `TsMean(x, d)`, `TsCorr(x, y, d)`. */
export function operatorSignature(op: OperatorInfo): string {
  const args = { unary: 'x', binary: 'x, y', rolling: 'x, d', pairRolling: 'x, y, d' }[op.kind];
  return `${op.name}(${args})`;
}

/** The operator reference shown by `alphasage eval --help`: one line per operator of the table, with its doc. */
export function operatorReference(): string {
  const width = Math.max(...OPERATORS.map((op) => operatorSignature(op).length)) + 2;
  return [
    'Expressions: the features $open $high $low $close $volume $vwap, numbers, and these operators',
    `(d: a window in days; the miner writes ${WINDOWS.join(', ')}):`,
    ...OPERATORS.map((op) => `  ${operatorSignature(op).padEnd(width)}${op.doc}`),
  ].join('\n');
}

/** The README's operator table, generated from this table by `npm run docs` (a test keeps README in step). */
export function operatorTableMarkdown(): string {
  const kinds = { unary: 'unary', binary: 'binary', rolling: 'rolling', pairRolling: 'pair rolling' };
  return [
    '| operator | kind | definition |',
    '|---|---|---|',
    ...OPERATORS.map((op) => `| \`${operatorSignature(op)}\` | ${kinds[op.kind]} | ${op.doc.replace(/\|/g, '\\|')} |`),
  ].join('\n');
}

/** Whether an operator's result is featured (SPEC §2.3), given its operands (windows excluded) and which are. */
export function isFeaturedResult<T>(op: OperatorInfo, operands: readonly T[], featured: (operand: T) => boolean): boolean {
  return op.featuredOnlyIfAll ? operands.every(featured) : operands.some(featured);
}
