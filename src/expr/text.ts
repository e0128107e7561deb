/**
 * Text form of expressions (SPEC §2.2): `TsCorr($close,$volume,20)`,
 * `Div(Sub($close,$open),Add($high,0.01))`. Printed without spaces; constants
 * in Python float form (`-30.0`, `0.01`); windows as integers.
 * Parsing accepts whitespace between tokens (foreign pool files) and reports
 * errors with the position and what was expected.
 */
import { FEATURES, type FeatureName } from '../data/types.js';
import { UserError } from '../util/errors.js';
import { constExpr, featureExpr, windowExpr, type Expr } from './ast.js';
import { OPERATORS, OPERATOR_BY_NAME } from './operators.js';

/** Python's repr of a float: shortest round-trip digits, exponent form below 1e-4 or from 1e16. */
export function formatPythonFloat(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  if (v === 0) return Object.is(v, -0) ? '-0.0' : '0.0';
  const [mant, expStr] = v.toExponential().split('e'); // shortest digits, e.g. "-3e+1", "1.5e-2"
  const exp = Number(expStr);
  const neg = mant.startsWith('-');
  const digits = mant.replace('-', '').replace('.', '');
  const sign = neg ? '-' : '';
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = Math.abs(exp);
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${e < 10 ? '0' : ''}${e}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  if (digits.length <= exp + 1) return `${sign}${digits}${'0'.repeat(exp + 1 - digits.length)}.0`;
  return `${sign}${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
}

/** The canonical text of an expression (no spaces). */
export function printExpr(e: Expr): string {
  switch (e.type) {
    case 'feature':
      return `$${e.feature}`;
    case 'const':
      return formatPythonFloat(e.value);
    case 'window':
      return String(e.value);
    case 'op':
      return `${e.op.name}(${e.args.map(printExpr).join(',')})`;
  }
}

const FEATURE_SET: ReadonlySet<string> = new Set(FEATURES);
const NUMBER_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/;
const IDENT_RE = /^[A-Za-z_][A-Za-z0-9_]*/;
const MAX_DEPTH = 500;
const HINT = 'expressions look like TsMean($close,20) or Div(Sub($close,$open),Add($high,0.01))';

class Parser {
  pos = 0;
  constructor(readonly text: string) {}

  fail(expected: string, at = this.pos): never {
    const found = at >= this.text.length ? 'the end of the text' : `'${this.text.slice(at, at + 12)}'`;
    throw new UserError(`cannot parse expression '${clip(this.text)}': at position ${at} expected ${expected}, found ${found}; ${HINT}.`);
  }

  skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos])) this.pos++;
  }

  expectChar(c: string, expected: string): void {
    this.skipSpace();
    if (this.text[this.pos] !== c) this.fail(expected);
    this.pos++;
  }

  /** One argument (or the whole text). `windowSlot`: the last argument of a rolling operator. */
  parseExpr(windowSlot: boolean, opName?: string, depth = 0): Expr {
    this.skipSpace();
    if (depth > MAX_DEPTH) throw new UserError(`cannot parse expression '${clip(this.text)}': at position ${this.pos} it is nested deeper than ${MAX_DEPTH} levels; simplify it.`);
    const start = this.pos;
    const rest = this.text.slice(this.pos);
    const ch = rest[0];
    if (ch === undefined) this.fail(windowSlot ? 'a window (an integer such as 20)' : 'an expression');
    if (windowSlot) {
      const m = NUMBER_RE.exec(rest);
      if (!m || !/^[+-]?\d+$/.test(m[0])) this.fail(`a window for ${opName} (an integer such as 20)`);
      const w = Number(m[0]);
      if (!Number.isSafeInteger(w) || (opName !== 'Ref' && w < 1)) {
        throw new UserError(`cannot parse expression '${clip(this.text)}': at position ${start} the window of ${opName} must be a positive integer, got ${m[0]}.`);
      }
      this.pos += m[0].length;
      return windowExpr(w);
    }
    if (ch === '$') {
      const m = IDENT_RE.exec(rest.slice(1));
      const name = m ? m[0].toLowerCase() : '';
      if (!FEATURE_SET.has(name)) this.fail(`a feature (${FEATURES.map((f) => '$' + f).join(' ')})`);
      this.pos += 1 + (m as RegExpExecArray)[0].length;
      return featureExpr(name as FeatureName);
    }
    const num = NUMBER_RE.exec(rest);
    if (num) {
      const v = Number(num[0]);
      if (!Number.isFinite(v)) this.fail('a finite number');
      this.pos += num[0].length;
      // A bare integer in an operand slot is a constant too (foreign files may write `5`).
      return constExpr(v);
    }
    const id = IDENT_RE.exec(rest);
    if (!id) this.fail(`an expression (an operator, a $feature or a number)`);
    const op = OPERATOR_BY_NAME.get(id[0]);
    if (!op) {
      throw new UserError(
        `cannot parse expression '${clip(this.text)}': unknown operator '${id[0]}' at position ${start}; use one of ${OPERATORS.map((o) => o.name).join(' ')}.`,
      );
    }
    this.pos += id[0].length;
    this.expectChar('(', `'(' after ${op.name}`);
    const args: Expr[] = [];
    const hasWindow = op.kind === 'rolling' || op.kind === 'pairRolling';
    for (let i = 0; i < op.arity; i++) {
      if (i > 0) this.expectChar(',', `',' and argument ${i + 1} of ${op.name} (it takes ${op.arity})`);
      args.push(this.parseExpr(hasWindow && i === op.arity - 1, op.name, depth + 1));
    }
    this.expectChar(')', `')' closing ${op.name} (it takes ${op.arity} arguments)`);
    return { type: 'op', op, args };
  }
}

function clip(s: string): string {
  return s.length > 80 ? s.slice(0, 77) + '...' : s;
}

/** Parses the text form; throws a UserError naming the position and what was expected. */
export function parseExpr(text: string): Expr {
  if (typeof text !== 'string') throw new UserError('an expression must be a string such as TsMean($close,20).');
  const p = new Parser(text);
  const e = p.parseExpr(false);
  p.skipSpace();
  if (p.pos < text.length) p.fail('the end of the expression');
  return e;
}
