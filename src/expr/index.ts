/** Expression engine: tree, text form, RPN builder and masks, evaluation (SPEC §2). */
export * from './ast.js';
export * from './text.js';
export * from './builder.js';
export * from './evaluate.js';
export * from './vocab.js';
export * from './operators.js';
export type { UnaryKernel, BinaryKernel, RollingKernel, PairRollingKernel, RowSpan } from './kernels/types.js';
