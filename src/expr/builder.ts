/**
 * Building expressions token by token in reverse Polish order, with the
 * validity masks of SPEC §2.3. The builder keeps a stack of (subtree, kind)
 * and computes the 62-action mask from the top three entries in O(62), so the
 * miner pays almost nothing per step.
 */
import { UserError } from '../util/errors.js';
import { constExpr, featureExpr, isFeatured, windowExpr, type Expr } from './ast.js';
import { isFeaturedResult } from './operators.js';
import { formatPythonFloat, printExpr } from './text.js';
import { N_ACTIONS, SEP_ID, tokenName, VOCAB, VOCAB_SIZE, BEG_ID, tokenId } from './vocab.js';

/** State slots including BEG (SPEC §2.3 / §5): at most MAX_TOKENS tokens after BEG. */
export const MAX_STATE_LEN = 20;
export const MAX_TOKENS = MAX_STATE_LEN - 1;

/** Kind of a stack entry. */
const enum Item {
  Plain = 0, // an expression that does not depend on a feature (constants, ...)
  Featured = 1,
  Window = 2,
}

/** Category of every token id, for the mask loop. */
const enum Cat {
  Beg,
  Unary,
  Binary,
  Rolling,
  PairRolling,
  Feature,
  Window,
  Const,
  Sep,
}

const CATEGORY: Uint8Array = Uint8Array.from(VOCAB, (t) => {
  switch (t.type) {
    case 'BEG':
      return Cat.Beg;
    case 'SEP':
      return Cat.Sep;
    case 'feature':
      return Cat.Feature;
    case 'window':
      return Cat.Window;
    case 'const':
      return Cat.Const;
    case 'op':
      return t.op.kind === 'unary' ? Cat.Unary : t.op.kind === 'binary' ? Cat.Binary : t.op.kind === 'rolling' ? Cat.Rolling : Cat.PairRolling;
  }
});

export class ExprBuilder {
  private readonly exprs: Expr[] = [];
  private readonly items: Item[] = [];
  private readonly ids: number[] = [];
  private finished = false;

  /** Tokens pushed so far (BEG and SEP not counted). */
  get length(): number {
    return this.ids.length;
  }

  /** The token ids pushed so far, in order (no BEG / SEP). */
  get tokens(): readonly number[] {
    return this.ids;
  }

  /** True once SEP was pushed. */
  get done(): boolean {
    return this.finished;
  }

  /** Full state: BEG + MAX_TOKENS tokens; only SEP is allowed then. */
  get full(): boolean {
    return this.ids.length >= MAX_TOKENS;
  }

  clone(): ExprBuilder {
    const b = new ExprBuilder();
    b.exprs.push(...this.exprs);
    b.items.push(...this.items);
    b.ids.push(...this.ids);
    b.finished = this.finished;
    return b;
  }

  /** Is token `id` allowed now (SPEC §2.3)? */
  isAllowedToken(id: number): boolean {
    if (this.finished || id <= BEG_ID || id >= VOCAB_SIZE) return false;
    const n = this.items.length;
    const top = n > 0 ? this.items[n - 1] : -1;
    if (this.full) return id === SEP_ID;
    switch (CATEGORY[id]) {
      case Cat.Unary:
        return top === Item.Featured;
      case Cat.Binary: {
        if (n < 2) return false;
        const second = this.items[n - 2];
        return top !== Item.Window && second !== Item.Window && (top === Item.Featured || second === Item.Featured);
      }
      case Cat.Rolling:
        return n >= 2 && top === Item.Window && this.items[n - 2] === Item.Featured;
      case Cat.PairRolling:
        return n >= 3 && top === Item.Window && this.items[n - 2] === Item.Featured && this.items[n - 3] === Item.Featured;
      case Cat.Window:
        return top === Item.Featured;
      case Cat.Const:
        return n === 0 || top === Item.Featured;
      case Cat.Feature:
        return top !== Item.Window;
      case Cat.Sep:
        return n === 1 && top === Item.Featured;
      default:
        return false;
    }
  }

  /**
   * Writes the mask over the 62 actions (action = token id - 1): 1 = allowed.
   * `out` must hold at least N_ACTIONS entries.
   */
  validActionMask(out: Uint8Array): Uint8Array {
    for (let a = 0; a < N_ACTIONS; a++) out[a] = this.isAllowedToken(a + 1) ? 1 : 0;
    return out;
  }

  /** A fresh mask (see validActionMask). */
  validActions(): Uint8Array {
    return this.validActionMask(new Uint8Array(N_ACTIONS));
  }

  /** Pushes token `id` (1..62); SEP finishes. Throws an Error if the token is not allowed. */
  push(id: number): void {
    if (!this.isAllowedToken(id)) {
      throw new Error(`token ${id} (${VOCAB[id] ? tokenName(VOCAB[id]) : '?'}) is not allowed after [${this.ids.map((t) => tokenName(VOCAB[t])).join(' ')}]`);
    }
    if (id === SEP_ID) {
      this.finished = true;
      return;
    }
    this.ids.push(id);
    const t = VOCAB[id];
    switch (t.type) {
      case 'feature':
        this.exprs.push(featureExpr(t.feature));
        this.items.push(Item.Featured);
        return;
      case 'const':
        this.exprs.push(constExpr(t.value));
        this.items.push(Item.Plain);
        return;
      case 'window':
        this.exprs.push(windowExpr(t.value));
        this.items.push(Item.Window);
        return;
      case 'op': {
        const k = t.op.arity;
        const args = this.exprs.splice(this.exprs.length - k, k);
        const kinds = this.items.splice(this.items.length - k, k);
        const operands = t.op.kind === 'rolling' || t.op.kind === 'pairRolling' ? kinds.slice(0, -1) : kinds;
        const featured = isFeaturedResult(t.op, operands, (x) => x === Item.Featured);
        this.exprs.push({ type: 'op', op: t.op, args });
        this.items.push(featured ? Item.Featured : Item.Plain);
        return;
      }
      default:
        throw new Error(`token ${id} cannot be pushed`);
    }
  }

  /** The stack holds exactly one featured tree. */
  isValid(): boolean {
    return this.items.length === 1 && this.items[0] === Item.Featured;
  }

  /** The finished expression; throws an Error if the stack is not one featured tree. */
  build(): Expr {
    if (!this.isValid()) throw new Error(`the token sequence does not form one featured expression (stack of ${this.items.length})`);
    return this.exprs[0];
  }

  /** Number of entries on the stack. */
  get stackSize(): number {
    return this.items.length;
  }
}

/**
 * Token ids of an expression in reverse Polish order (no BEG / SEP), as the
 * builder would receive them. Throws a UserError for a constant or window
 * outside the vocabulary (such an expression can be evaluated, not tokenised).
 */
export function exprToTokens(e: Expr): number[] {
  const out: number[] = [];
  const walk = (x: Expr): void => {
    let name: string;
    switch (x.type) {
      case 'feature':
        name = `$${x.feature}`;
        break;
      case 'const':
        name = formatPythonFloat(x.value);
        break;
      case 'window':
        name = String(x.value);
        break;
      case 'op':
        for (const a of x.args) walk(a);
        name = x.op.name;
        break;
    }
    const id = tokenId(name);
    if (id === undefined || VOCAB[id].type !== (x.type === 'op' ? 'op' : x.type)) {
      throw new UserError(`'${printExpr(e)}' uses ${x.type} ${name}, which is not in the vocabulary; use only the windows and constants of the action space.`);
    }
    out.push(id);
  };
  walk(e);
  return out;
}

/** Builds an expression from RPN token ids through the masks (throws an Error on an invalid sequence). */
export function tokensToExpr(ids: readonly number[]): Expr {
  const b = new ExprBuilder();
  for (const id of ids) if (id !== SEP_ID) b.push(id);
  return b.build();
}

/** True if the expression is featured and its tokens pass the masks (fits in MAX_TOKENS). */
export function isBuildable(e: Expr): boolean {
  if (!isFeatured(e)) return false;
  try {
    const ids = exprToTokens(e);
    if (ids.length > MAX_TOKENS) return false;
    tokensToExpr(ids);
    return true;
  } catch {
    return false;
  }
}
