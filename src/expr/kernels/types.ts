/**
 * Kernel signatures. Matrices are Float64Array row-major [rows][nStocks].
 * A rolling kernel reads `nOut + back` source rows (back = w - 1 for windows,
 * w for TsDelta) and writes `nOut` rows: output row r ends at source row r + back.
 */

/** Elementwise or cross-sectional: `src` and `out` are [nRows][nStocks] (nRows * nStocks may be 1 for a scalar). */
export type UnaryKernel = (src: Float64Array, out: Float64Array, nRows: number, nStocks: number) => void;

/** Elementwise; a stride of 0 broadcasts a scalar (a one-element array). */
export type BinaryKernel = (a: Float64Array, strideA: number, b: Float64Array, strideB: number, out: Float64Array, n: number) => void;

/**
 * `row0`: the index of src row 0 among the data's padded days (0 when absent).
 * Kernels that cut rows into blocks align them to it, so a window's value does
 * not depend on which rows around it are evaluated.
 */
export type RollingKernel = (src: Float64Array, out: Float64Array, nOut: number, nStocks: number, w: number, row0?: number) => void;

export type PairRollingKernel = (a: Float64Array, b: Float64Array, out: Float64Array, nOut: number, nStocks: number, w: number, row0?: number) => void;

/**
 * Which source rows a rolling operator reads for output rows [lo, hi):
 * 'window': [lo - w + 1, hi); 'delta': [lo - w, hi); 'shift' (Ref): [lo - w, hi - w).
 */
export type RowSpan = 'window' | 'delta' | 'shift';

export type OperatorKernel =
  | { readonly kind: 'unary'; readonly run: UnaryKernel; /** Per row across stocks, so it cannot run on a broadcast scalar. */ readonly crossSection?: boolean }
  | { readonly kind: 'binary'; readonly run: BinaryKernel }
  | { readonly kind: 'rolling'; readonly run: RollingKernel; readonly rows: RowSpan }
  | { readonly kind: 'pairRolling'; readonly run: PairRollingKernel };

/** Source rows before the first output row. */
export function rowsBack(rows: RowSpan, w: number): number {
  return rows === 'window' ? w - 1 : w;
}
