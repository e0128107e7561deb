/**
 * Natural logarithm with the bits of V8's Math.log and Math.log1p: V8 computes
 * them with fdlibm's algorithms (Sun Microsystems, 1993), re-implemented here
 * from their published description (reduction to [sqrt(2)/2, sqrt(2)], the
 * series in s = f / (2 + f), ln2 split in a high and a low part). The engine
 * needs these exact bits so that Log and SLog1p give the same values whether
 * they run here or in TypeScript (AssemblyScript's own Math.log is a different
 * algorithm, 1 ulp off at log(3)). Checked against Math.log / Math.log1p bit
 * for bit on millions of values across every exponent (test/wasm.test.ts).
 */
import { hiWord, loWord, withHi } from './words';

const LN2_HI: f64 = 6.93147180369123816490e-1;
const LN2_LO: f64 = 1.90821492927058770002e-10;
const TWO54: f64 = 1.8014398509481984e16;
const LG1: f64 = 6.666666666666735130e-1;
const LG2: f64 = 3.999999999940941908e-1;
const LG3: f64 = 2.857142874366239149e-1;
const LG4: f64 = 2.222219843214978396e-1;
const LG5: f64 = 1.818357216161805012e-1;
const LG6: f64 = 1.531383769920937332e-1;
const LG7: f64 = 1.479819860511658591e-1;

/** log(x), the bits of V8's Math.log. */
export function log(x: f64): f64 {
  let hx = hiWord(x);
  const lx = loWord(x);
  let k: i32 = 0;
  if (hx < 0x00100000) {
    // x < 2^-1022: zero, negative or subnormal
    if (((hx & 0x7fffffff) | lx) == 0) return -Infinity;
    if (hx < 0) return NaN;
    k -= 54;
    x *= TWO54;
    hx = hiWord(x);
  }
  if (hx >= 0x7ff00000) return x + x; // +inf, NaN
  k += (hx >> 20) - 1023;
  hx &= 0x000fffff;
  const i = (hx + 0x95f64) & 0x100000;
  x = withHi(x, hx | (i ^ 0x3ff00000)); // x or x / 2, in [sqrt(2)/2, sqrt(2)]
  k += i >> 20;
  const f = x - 1.0;
  const dk = <f64>k;
  if ((0x000fffff & (2 + hx)) < 3) {
    // |f| < 2^-20
    if (f == 0) return k == 0 ? 0 : dk * LN2_HI + dk * LN2_LO;
    const r = f * f * (0.5 - 0.33333333333333333 * f);
    return k == 0 ? f - r : dk * LN2_HI - (r - dk * LN2_LO - f);
  }
  const s = f / (2.0 + f);
  const z = s * s;
  const w = z * z;
  const t1 = w * (LG2 + w * (LG4 + w * LG6));
  const t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
  const r = t2 + t1;
  if (((hx - 0x6147a) | (0x6b851 - hx)) > 0) {
    const hfsq = 0.5 * f * f;
    return k == 0 ? f - (hfsq - s * (hfsq + r)) : dk * LN2_HI - (hfsq - (s * (hfsq + r) + dk * LN2_LO) - f);
  }
  return k == 0 ? f - s * (f - r) : dk * LN2_HI - (s * (f - r) - dk * LN2_LO - f);
}

/** log1p(a) for 0 <= a < 0.41 (fdlibm's k = 0 branch), the bits of V8's Math.log1p there. */
export function log1pSmall(a: f64): f64 {
  const ha = hiWord(a);
  if (ha < 0x3e200000) return ha < 0x3c900000 ? a : a - a * a * 0.5; // a < 2^-29
  const hfsq = 0.5 * a * a;
  const s = a / (2.0 + a);
  const z = s * s;
  const r = z * (LG1 + z * (LG2 + z * (LG3 + z * (LG4 + z * (LG5 + z * (LG6 + z * LG7))))));
  return a - (hfsq - s * (hfsq + r));
}

/**
 * Whether log takes its main path for this high word (x normal, positive,
 * finite, and not within 2^-20 of a power of two): then logPair gives log's
 * bits for two such values at once.
 */
@inline export function logMainPath(hx: i32): bool {
  return hx >= 0x00100000 && hx < 0x7ff00000 && (0x000fffff & (2 + hx)) >= 3;
}

/**
 * log of two values on log's main path (see logMainPath), one per lane, with
 * the operations of `log` in its order: the same bits. Both of log's last
 * branches are computed and one selected per lane; the k = 0 forms equal the
 * general ones with k = 0 (0 - (a - b) and b - a round alike).
 */
@inline export function logPair(x: v128): v128 {
  // Integer steps on the high words as i32 lanes (1 and 3), as log does in i32.
  const m = v128.and(x, i32x4.splat(0x000fffff));
  const i = v128.and(i32x4.add(m, i32x4.splat(0x95f64)), i32x4.splat(0x100000));
  const k = i32x4.add(i32x4.sub(i32x4.shr_s(x, 20), i32x4.splat(1023)), i32x4.shr_s(i, 20));
  const high = v128.or(m, v128.xor(i, i32x4.splat(0x3ff00000)));
  const xr = v128.bitselect(high, x, i64x2.splat(0xffffffff00000000)); // new high words, x's low words
  const f = f64x2.sub(xr, f64x2.splat(1.0));
  const dk = v128.convert_low<i32>(v128.shuffle<i32>(k, k, 1, 3, 1, 3));
  const s = f64x2.div(f, f64x2.add(f64x2.splat(2.0), f));
  const z = f64x2.mul(s, s);
  const w = f64x2.mul(z, z);
  const t1 = f64x2.mul(w, f64x2.add(f64x2.splat(LG2), f64x2.mul(w, f64x2.add(f64x2.splat(LG4), f64x2.mul(w, f64x2.splat(LG6))))));
  const t2 = f64x2.mul(
    z,
    f64x2.add(f64x2.splat(LG1), f64x2.mul(w, f64x2.add(f64x2.splat(LG3), f64x2.mul(w, f64x2.add(f64x2.splat(LG5), f64x2.mul(w, f64x2.splat(LG7))))))),
  );
  const r = f64x2.add(t2, t1);
  const kHi = f64x2.mul(dk, f64x2.splat(LN2_HI));
  const kLo = f64x2.mul(dk, f64x2.splat(LN2_LO));
  const hfsq = f64x2.mul(f64x2.mul(f64x2.splat(0.5), f), f);
  // dk*LN2_HI - (hfsq - (s*(hfsq + r) + dk*LN2_LO) - f)
  const a = f64x2.sub(kHi, f64x2.sub(f64x2.sub(hfsq, f64x2.add(f64x2.mul(s, f64x2.add(hfsq, r)), kLo)), f));
  // dk*LN2_HI - (s*(f - r) - dk*LN2_LO - f)
  const b = f64x2.sub(kHi, f64x2.sub(f64x2.sub(f64x2.mul(s, f64x2.sub(f, r)), kLo), f));
  const useA = i32x4.gt_s(v128.or(i32x4.sub(m, i32x4.splat(0x6147a)), i32x4.sub(i32x4.splat(0x6b851), m)), i32x4.splat(0));
  return v128.bitselect(a, b, v128.shuffle<i32>(useA, useA, 1, 1, 3, 3));
}
