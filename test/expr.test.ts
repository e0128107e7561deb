/**
 * Expression engine: text form, RPN builder and masks, evaluator (ranges,
 * shared sub-expressions, cache, target), and fuzzing of masks and parser.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FEATURES, type StockData } from '../src/data/types.js';
import {
  CONSTANTS,
  ExprBuilder,
  ExprCache,
  MAX_TOKENS,
  N_ACTIONS,
  OPERATORS,
  OutOfRangeError,
  SEP_ID,
  VOCAB,
  WINDOWS,
  evaluateExpr,
  evaluateTarget,
  exprExtent,
  exprToTokens,
  formatPythonFloat,
  isFeatured,
  parseExpr,
  printExpr,
  tokenId,
  tokenIdToAction,
  tokenName,
  tokensToExpr,
  withExprValues,
} from '../src/expr/index.js';
import { alphaIC } from '../src/metrics/index.js';
import { UserError } from '../src/util/errors.js';
import { Rng } from '../src/util/rng.js';
import { randomExprs } from './helpers/randomExprs.js';

/** A small synthetic StockData: random-walk prices with NaN gaps, zeros and a constant stock. */
function syntheticData(opts: { nStocks?: number; nDays?: number; backtrack?: number; future?: number; seed?: number } = {}): StockData {
  const nStocks = opts.nStocks ?? 6;
  const nDays = opts.nDays ?? 12;
  const backtrack = opts.backtrack ?? 100;
  const future = opts.future ?? 30;
  const paddedDays = backtrack + nDays + future;
  const nF = FEATURES.length;
  const rng = new Rng(opts.seed ?? 11);
  const values = new Float64Array(paddedDays * nF * nStocks);
  for (let s = 0; s < nStocks; s++) {
    let p = 20 + 10 * s;
    for (let d = 0; d < paddedDays; d++) {
      p *= 1 + 0.02 * rng.normal();
      const gap = s === 1 && d % 37 < 3; // a stock with missing days
      const flat = s === 2; // a stock whose prices never move
      for (let f = 0; f < nF; f++) {
        let v = flat ? 50 : f === 4 ? Math.round(1e6 * (1 + rng.next())) : p * (1 + 0.01 * (f - 2));
        if (s === 3 && f === 4 && d % 11 === 0) v = 0; // zero volume
        values[(d * nF + f) * nStocks + s] = gap ? NaN : v;
      }
    }
  }
  const dates = Array.from({ length: paddedDays }, (_, d) => `2000-01-${String(d + 1).padStart(3, '0')}`);
  const symbols = Array.from({ length: nStocks }, (_, s) => `S${s}`);
  return { values, dates, symbols, nDays, nStocks, backtrack, future, paddedDays };
}

// ------------------------------------------------------------------ text form

test('printing then parsing is the identity; constants in Python float form', () => {
  const cases = [
    'TsCorr($close,$volume,20)',
    'Div(Sub($close,$open),Add($high,0.01))',
    'Mul(-1.0,TsCorr(Rank($high),Rank($volume),10))',
    'Add(-30.0,Pow($close,0.5))',
    'Ref($close,-20)',
    'Greater(TsSkew($close,20),Less(TsKurt($close,20),5.0))',
  ];
  for (const c of cases) assert.equal(printExpr(parseExpr(c)), c);
  assert.equal(formatPythonFloat(-30), '-30.0');
  assert.equal(formatPythonFloat(0.01), '0.01');
  assert.equal(formatPythonFloat(5), '5.0');
  assert.equal(formatPythonFloat(1e-5), '1e-05');
  assert.equal(formatPythonFloat(1.5e16), '1.5e+16');
  assert.equal(formatPythonFloat(123456.789), '123456.789');
  assert.equal(formatPythonFloat(-0), '-0.0');
  for (const v of CONSTANTS) assert.equal(formatPythonFloat(v), tokenName({ type: 'const', value: v }));
});

test('parsing accepts whitespace and foreign spellings (Python pools), then prints canonically', () => {
  assert.equal(printExpr(parseExpr(' TsMean( $close , 20 ) ')), 'TsMean($close,20)');
  assert.equal(printExpr(parseExpr('Add($close, 5)')), 'Add($close,5.0)'); // a bare integer operand is a constant
  assert.equal(printExpr(parseExpr('Mul($Close,1e-05)')), 'Mul($close,1e-05)');
  const pool = { exprs: ['Mul(-1.0,TsCorr(Rank($high),Rank($volume),10))', 'TsMean($close,20)'], weights: [0.5, -0.2] };
  for (const e of pool.exprs) assert.equal(printExpr(parseExpr(e)), e);
});

test('parse errors are UserErrors naming the position and what was expected', () => {
  const expectError = (text: string, ...parts: string[]) => {
    assert.throws(
      () => parseExpr(text),
      (e: unknown) => {
        assert.ok(e instanceof UserError, `${text}: ${String(e)}`);
        for (const p of parts) assert.ok(e.message.includes(p), `'${e.message}' should mention '${p}'`);
        assert.ok(!e.message.includes('\n'));
        return true;
      },
    );
  };
  expectError('TsMean($close 20)', 'position 14', "','");
  expectError('TsMean($close,20.0)', 'position 14', 'window');
  expectError('TsMean($close,0)', 'position 14', 'positive');
  expectError('Foo($close)', 'unknown operator', 'Foo', 'TsMean');
  expectError('Add($close)', "','", 'takes 2');
  expectError('Add($close,$open,$high)', "')'", 'takes 2');
  expectError('$price', 'position 0', '$close');
  expectError('', 'position 0', 'expression');
  expectError('TsMean($close,20) extra', 'position 18', 'end');
  expectError('Abs(', 'position 4', 'the end of the text');
  expectError('Abs('.repeat(600) + '$close' + ')'.repeat(600), 'position 2004', 'deeper');
});

test('10,000 random strings never crash the parser (only UserError)', () => {
  const rng = new Rng(2024);
  const pieces = ['TsMean', 'Add', 'Rank', 'TsCorr', 'Ref', '(', ')', ',', '$close', '$volume', '$x', '20', '-20', '1.5', '-0.01', ' ', 'e5', '.', '-', 'Abs', '1e400', 'nan'];
  const chars = '()$,.-+eE0123456789 abcTsMeanRk\t\n';
  let parsed = 0;
  for (let i = 0; i < 10_000; i++) {
    let text = '';
    const n = 1 + rng.int(12);
    for (let k = 0; k < n; k++) text += rng.next() < 0.7 ? pieces[rng.int(pieces.length)] : chars[rng.int(chars.length)];
    try {
      const e = parseExpr(text);
      parsed++;
      assert.equal(printExpr(parseExpr(printExpr(e))), printExpr(e));
    } catch (err) {
      assert.ok(err instanceof UserError, `'${text}' threw ${String(err)}`);
    }
  }
  assert.ok(parsed > 0);
});

// ------------------------------------------------------------------ vocabulary

test('the vocabulary is the 63 tokens of SPEC §2.1, in its order (token id = position; action id = token id - 1)', () => {
  // Written out from SPEC §2.1, not derived from the table: a reordered or added row fails here.
  const spec = [
    'BEG',
    ...['Abs', 'SLog1p', 'Inv', 'Sign', 'Log', 'Rank'],
    ...['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Greater', 'Less'],
    ...['Ref', 'TsMean', 'TsSum', 'TsStd', 'TsIr', 'TsMinMaxDiff', 'TsMaxDiff', 'TsMinDiff', 'TsVar', 'TsSkew', 'TsKurt'],
    ...['TsMax', 'TsMin', 'TsMed', 'TsMad', 'TsRank', 'TsDelta', 'TsDiv', 'TsPctChange', 'TsWMA', 'TsEMA'],
    ...['TsCov', 'TsCorr'],
    ...['$open', '$close', '$high', '$low', '$volume', '$vwap'],
    ...['10', '20', '30', '40', '50'],
    ...['-30.0', '-10.0', '-5.0', '-2.0', '-1.0', '-0.5', '-0.01', '0.01', '0.5', '1.0', '2.0', '5.0', '10.0', '30.0'],
    'SEP',
  ];
  assert.equal(spec.length, 63);
  assert.deepEqual(VOCAB.map(tokenName), spec);
  assert.equal(SEP_ID, 62);
  spec.forEach((name, i) => {
    assert.equal(tokenId(name), i, name);
    if (i > 0) assert.equal(tokenIdToAction(i), i - 1);
  });
  assert.equal(N_ACTIONS, 62);
});

// ------------------------------------------------------------------ builder

const id = (name: string): number => VOCAB.findIndex((t) => tokenName(t) === name);
const allowedNames = (b: ExprBuilder): string[] => {
  const m = b.validActions();
  return [...m].flatMap((v, a) => (v ? [tokenName(VOCAB[a + 1])] : []));
};

test('masks follow SPEC §2.3 step by step', () => {
  const b = new ExprBuilder();
  // empty stack: features and constants only
  assert.deepEqual(allowedNames(b).sort(), [...FEATURES.map((f) => `$${f}`), ...CONSTANTS.map(formatPythonFloat)].sort());
  b.push(id('$close'));
  const afterFeature = allowedNames(b);
  assert.ok(afterFeature.includes('Abs') && afterFeature.includes('20') && afterFeature.includes('SEP') && afterFeature.includes('5.0'));
  assert.ok(!afterFeature.includes('Add') && !afterFeature.includes('TsMean'));
  b.push(id('20'));
  assert.deepEqual(
    allowedNames(b).sort(),
    OPERATORS.filter((o) => o.kind === 'rolling').map((o) => o.name).sort(),
    'after a window only rolling operators (one featured tree below)',
  );
  b.push(id('TsMean'));
  b.push(id('5.0'));
  const afterConst = allowedNames(b);
  assert.ok(afterConst.includes('Add') && afterConst.includes('Greater') && !afterConst.includes('Abs') && !afterConst.includes('SEP'));
  assert.ok(!afterConst.includes('5.0') && !afterConst.includes('10'), 'constant / window need a featured top');
  b.push(id('Greater'));
  // Greater(featured, constant) is not featured: no unary, no SEP
  assert.ok(!allowedNames(b).includes('Abs'));
  assert.ok(!allowedNames(b).includes('SEP'));
  assert.equal(b.isValid(), false);
  b.push(id('$open'));
  b.push(id('Add'));
  assert.ok(allowedNames(b).includes('SEP'));
  assert.equal(printExpr(b.build()), 'Add(Greater(TsMean($close,20),5.0),$open)');
  b.push(SEP_ID);
  assert.equal(b.done, true);
  assert.equal(b.validActions().every((v) => v === 0), true);
});

test('pair rolling needs two featured trees under a window; binary rejects windows', () => {
  const b = new ExprBuilder();
  for (const t of ['$close', '$volume', '10']) b.push(id(t));
  assert.ok(allowedNames(b).includes('TsCorr'));
  assert.ok(!allowedNames(b).includes('Add'), 'a window is never a binary operand');
  assert.ok(!allowedNames(b).includes('$open'), 'no feature on a window');
  const c = new ExprBuilder();
  c.push(id('$close'));
  c.push(id('1.0'));
  assert.ok(!allowedNames(c).includes('10'));
  assert.throws(() => c.push(id('10')), /not allowed/, 'a window needs a featured top');
  const d = new ExprBuilder();
  for (const t of ['1.0', '$close', '10']) d.push(id(t));
  assert.ok(!allowedNames(d).includes('TsCorr'), 'pair rolling needs both operands featured');
  assert.ok(allowedNames(d).includes('TsMean'));
});

test('full state: after 19 tokens only SEP is allowed', () => {
  const b = new ExprBuilder();
  b.push(id('$close'));
  for (let i = 0; i < MAX_TOKENS - 1; i++) b.push(id('Abs'));
  assert.equal(b.length, MAX_TOKENS);
  assert.equal(b.full, true);
  assert.deepEqual(allowedNames(b), ['SEP']);
  // full but invalid also allows only SEP
  const c = new ExprBuilder();
  for (let i = 0; i < MAX_TOKENS; i++) c.push(id(i % 2 === 0 ? '$close' : 'Abs'));
  assert.deepEqual(allowedNames(c), ['SEP']);
  assert.equal(c.isValid(), false);
});

test('exprToTokens / tokensToExpr round trip; non-vocabulary values are UserErrors', () => {
  for (const text of ['TsCorr($close,$volume,20)', 'Mul(-1.0,TsCorr(Rank($high),Rank($volume),10))', 'Add(Less(2.0,$open),Add($vwap,-30.0))']) {
    const e = parseExpr(text);
    const ids = exprToTokens(e);
    assert.equal(printExpr(tokensToExpr(ids)), text);
  }
  assert.throws(() => exprToTokens(parseExpr('TsMean($close,7)')), UserError);
  assert.throws(() => exprToTokens(parseExpr('Add($close,0.3)')), UserError);
});

test('fuzz: 10,000 random valid token sequences evaluate or throw OutOfRangeError only', () => {
  const rng = new Rng(7);
  const exprs = randomExprs(rng, 10_000);
  const data = syntheticData({ nStocks: 5, nDays: 8, backtrack: 60, future: 30 });
  let outOfRange = 0;
  for (const e of exprs) {
    assert.ok(isFeatured(e));
    assert.equal(printExpr(parseExpr(printExpr(e))), printExpr(e));
    assert.equal(printExpr(tokensToExpr(exprToTokens(e))), printExpr(e));
    try {
      const v = evaluateExpr(e, data);
      assert.equal(v.length, data.nDays * data.nStocks);
    } catch (err) {
      assert.ok(err instanceof OutOfRangeError, `${printExpr(e)} threw ${String(err)}`);
      const ext = exprExtent(e);
      assert.ok(ext.lookback > data.backtrack || ext.lookahead > data.future);
      outOfRange++;
    }
  }
  assert.ok(outOfRange > 0 && outOfRange < exprs.length, `${outOfRange} out of range`);
});

// ------------------------------------------------------------------ evaluator

test('lookback beyond the padding is an OutOfRangeError; the extent is computed statically', () => {
  const data = syntheticData({ backtrack: 30, future: 10 });
  assert.deepEqual(exprExtent(parseExpr('TsMean(Ref($close,10),21)')), { lookback: 30, lookahead: 0 });
  assert.deepEqual(exprExtent(parseExpr('TsDelta(TsMean($close,10),20)')), { lookback: 29, lookahead: 0 });
  assert.deepEqual(exprExtent(parseExpr('Ref($close,-20)')), { lookback: 0, lookahead: 20 });
  evaluateExpr('TsMean(Ref($close,10),21)', data);
  assert.throws(() => evaluateExpr('TsMean(Ref($close,10),22)', data), OutOfRangeError);
  assert.throws(() => evaluateExpr('Ref($close,-11)', data), OutOfRangeError);
  evaluateExpr('Ref($close,-10)', data);
});

test('values: features, Ref, TsDelta, the target, elementwise and NaN propagation', () => {
  const data = syntheticData();
  const { nDays, nStocks, backtrack: B } = data;
  const nF = FEATURES.length;
  const at = (row: number, f: number, s: number) => data.values[(row * nF + f) * nStocks + s];
  const close = evaluateExpr('$close', data);
  const ref3 = evaluateExpr('Ref($close,3)', data);
  const delta = evaluateExpr('TsDelta($close,3)', data);
  const target = evaluateTarget(data);
  const ratio = evaluateExpr('Div($high,$low)', data);
  for (let d = 0; d < nDays; d++) {
    for (let s = 0; s < nStocks; s++) {
      const k = d * nStocks + s;
      assert.ok(Object.is(close[k], at(B + d, 1, s)));
      assert.ok(Object.is(ref3[k], at(B + d - 3, 1, s)));
      assert.ok(Object.is(delta[k], at(B + d, 1, s) - at(B + d - 3, 1, s)));
      assert.ok(Object.is(target[k], at(B + d + 20, 1, s) / at(B + d, 1, s) - 1));
      assert.ok(Object.is(ratio[k], at(B + d, 2, s) / at(B + d, 3, s)));
    }
  }
  // the returned arrays are the caller's: writing into one does not change the next evaluation
  close.fill(0);
  assert.ok(Object.is(evaluateExpr('$close', data)[0], at(B, 1, 0)));
});

test('identical sub-expressions are computed once per evaluation (over the union of their rows)', () => {
  const data = syntheticData();
  let calls = 0;
  const counting = new Map(
    OPERATORS.filter((o) => o.name === 'TsMean').map((o) => {
      const k = o.kernel;
      if (k.kind !== 'rolling') throw new Error();
      return [o.name, { ...k, run: (...a: Parameters<typeof k.run>) => (calls++, k.run(...a)) }] as const;
    }),
  );
  const e = 'Add(TsMean($close,10),Ref(TsMean($close,10),5))';
  const v = evaluateExpr(e, data, { kernels: counting });
  assert.equal(calls, 1);
  const a = evaluateExpr('TsMean($close,10)', data);
  const b = evaluateExpr('Ref(TsMean($close,10),5)', data);
  for (let i = 0; i < v.length; i++) assert.ok(Object.is(v[i], a[i] + b[i]));
});

test('the cross-evaluation cache serves sub-expressions, stays within its byte bound, and results are equal', () => {
  const data = syntheticData({ nStocks: 20, nDays: 50 });
  const rowBytes = data.nStocks * 8;
  const cache = new ExprCache(rowBytes * 400);
  const exprs = ['TsStd(TsMean($close,10),20)', 'Add(TsMean($close,10),$open)', 'TsCorr(TsMean($close,10),$volume,20)', 'Rank(TsStd(TsMean($close,10),20))'];
  for (const e of exprs) {
    const plain = evaluateExpr(e, data);
    const cached = evaluateExpr(e, data, { cache });
    const again = evaluateExpr(e, data, { cache });
    // A cached node may have been computed over more rows: sliding sums then differ at rounding level only.
    for (const v of [cached, again]) {
      for (let i = 0; i < v.length; i++) {
        assert.ok(Object.is(v[i], plain[i]) || Math.abs(v[i] - plain[i]) <= 1e-12 * Math.abs(plain[i]), `${e} cell ${i}: ${v[i]} vs ${plain[i]}`);
      }
    }
    assert.ok(cache.bytes <= cache.maxBytes);
  }
  assert.ok(cache.hits > 0);
  const small = new ExprCache(rowBytes * 10); // too small for any node: nothing kept
  evaluateExpr(exprs[0], data, { cache: small });
  assert.equal(small.size, 0);
});

test('withExprValues lends the same values evaluateExpr returns; metrics and nested evaluations work inside', () => {
  const data = syntheticData({ nStocks: 20, nDays: 50 });
  const target = evaluateTarget(data);
  for (const e of ['$close', 'Ref($close,3)', 'TsCorr($close,$volume,10)', 'Rank(TsMean($close,5))', 'Add(2.0,3.0)', 'Mul(-1.0,TsCorr(Rank($high),Rank($volume),10))']) {
    const owned = evaluateExpr(e, data);
    const ic = withExprValues(e, data, (values) => {
      assert.equal(values.length, data.nDays * data.nStocks);
      for (let i = 0; i < values.length; i++) assert.ok(Object.is(values[i], owned[i]), `${e} cell ${i}`);
      const inner = evaluateExpr('TsStd($open,20)', data); // an evaluation inside the lease
      assert.deepEqual(inner, evaluateExpr('TsStd($open,20)', data));
      return alphaIC(values, target, data.nDays, data.nStocks);
    });
    assert.ok(Object.is(ic, alphaIC(owned, target, data.nDays, data.nStocks)), e);
  }
  // Errors pass through, and the memory is released either way (the next evaluation works).
  assert.throws(() => withExprValues('Ref($close,200)', data, () => 0), OutOfRangeError);
  const fail = (): never => {
    throw new Error('from use');
  };
  assert.throws(() => withExprValues('$close', data, fail), /from use/);
  assert.deepEqual(evaluateExpr('$close', data), withExprValues('$close', data, (v) => v.slice()));
});

test('constants-only operands broadcast; Rank is cross-sectional with ties in stock order', () => {
  const data = syntheticData();
  const v = evaluateExpr('Add($close,Mul(2.0,3.0))', data);
  const c = evaluateExpr('$close', data);
  for (let i = 0; i < v.length; i++) assert.ok(Object.is(v[i], c[i] + 6));
  const r = evaluateExpr('Rank(Sign($close))', data); // all +1 (or NaN): ties in stock order
  for (let d = 0; d < data.nDays; d++) {
    const row = Array.from(r.subarray(d * data.nStocks, (d + 1) * data.nStocks));
    const valid = row.filter((x) => !Number.isNaN(x));
    assert.deepEqual(valid, valid.map((_, k) => k / valid.length));
  }
  assert.equal(WINDOWS.length, 5);
});
