/**
 * The 63-token vocabulary (SPEC §2.1): BEG, 36 operators, 6 features,
 * 5 windows, 14 constants, SEP. Token id = index in VOCAB.
 * The miner's action ids are token ids minus one (BEG is never an action).
 */
import { FEATURES, type FeatureName } from '../data/types.js';
import { CONSTANTS, OPERATORS, WINDOWS, type OperatorInfo } from './operators.js';
import { formatPythonFloat } from './text.js';

export type Token =
  | { readonly type: 'BEG' }
  | { readonly type: 'SEP' }
  | { readonly type: 'op'; readonly op: OperatorInfo }
  | { readonly type: 'feature'; readonly feature: FeatureName }
  | { readonly type: 'window'; readonly value: number }
  | { readonly type: 'const'; readonly value: number };

export const VOCAB: readonly Token[] = [
  { type: 'BEG' },
  ...OPERATORS.map((op): Token => ({ type: 'op', op })),
  ...FEATURES.map((feature): Token => ({ type: 'feature', feature })),
  ...WINDOWS.map((value): Token => ({ type: 'window', value })),
  ...CONSTANTS.map((value): Token => ({ type: 'const', value })),
  { type: 'SEP' },
];

export const VOCAB_SIZE = VOCAB.length; // 63
export const BEG_ID = 0;
export const SEP_ID = VOCAB_SIZE - 1;
/** Number of actions the forward policy chooses from (every token but BEG). */
export const N_ACTIONS = VOCAB_SIZE - 1; // 62

/** Action id (0..61) <-> token id (1..62). */
export const actionToTokenId = (action: number): number => action + 1;
export const tokenIdToAction = (tokenId: number): number => tokenId - 1;

/** Printed name of a token, as in the text form. */
export function tokenName(t: Token): string {
  switch (t.type) {
    case 'BEG':
      return 'BEG';
    case 'SEP':
      return 'SEP';
    case 'op':
      return t.op.name;
    case 'feature':
      return `$${t.feature}`;
    case 'window':
      return String(t.value);
    case 'const':
      return formatPythonFloat(t.value);
  }
}

const ID_BY_NAME = new Map<string, number>(VOCAB.map((t, i) => [tokenName(t), i]));

export function tokenId(name: string): number | undefined {
  return ID_BY_NAME.get(name);
}
