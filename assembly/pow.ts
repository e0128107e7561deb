/**
 * x to the power y with the bits of V8's Math.pow: V8 computes it with
 * fdlibm's algorithm (Sun Microsystems, 1993: e_pow.c), re-implemented here
 * from its published description, step for step, so the rounding is the same
 * (with one difference of V8's, at the final division: see mathPow).
 * Why: the mined expressions use Pow with all kinds of exponents, and
 * Math.pow per cell from TypeScript measured 20.7-27.2 ms for 302,560 cells;
 * this file's two-lane main path (powCells) 12.1-14.5 ms in the same runs.
 * A scalar port alone measured slower than Math.pow (29.5 against 22.4 ms).
 * Checked against Math.pow bit for bit (test/wasm.test.ts).
 *
 * Method (fdlibm's): log2|x| = t1 + t2 in extra precision (t1 with 29
 * trailing zero bits), y * log2|x| = n + y' by splitting y the same way,
 * then 2^n * exp(y' ln 2) by a polynomial; special values first.
 */
import { ld, ldi, st, sti } from './memory';
import { clearLo, fromHi, hiWord, loWord, withHi } from './words';

const BP1: f64 = 1.5;
const DP_H1: f64 = 5.84962487220764160156e-1; // log2(1.5), high part
const DP_L1: f64 = 1.35003920212974897128e-8; // its tail
const TWO53: f64 = 9007199254740992.0;
const HUGE: f64 = 1.0e300;
const TINY: f64 = 1.0e-300;
// Polynomial for (3/2) * (log(x) - 2s - (2/3) s^3).
const L1: f64 = 5.99999999999994648725e-1;
const L2: f64 = 4.28571428578550184252e-1;
const L3: f64 = 3.33333329818377432918e-1;
const L4: f64 = 2.72728123808534006489e-1;
const L5: f64 = 2.30660745775561754067e-1;
const L6: f64 = 2.06975017800338417784e-1;
// Polynomial for exp.
const P1: f64 = 1.66666666666666019037e-1;
const P2: f64 = -2.77777777770155933842e-3;
const P3: f64 = 6.61375632143793436117e-5;
const P4: f64 = -1.65339022054652515390e-6;
const P5: f64 = 4.13813679705723846039e-8;
const LG2: f64 = 6.93147180559945286227e-1;
const LG2_H: f64 = 6.93147182464599609375e-1;
const LG2_L: f64 = -1.90465429995776804525e-9;
const OVT: f64 = 8.0085662595372944372e-17; // -(1024 - log2(overflow + 0.5 ulp))
const CP: f64 = 9.61796693925975554329e-1; // 2 / (3 ln 2)
const CP_H: f64 = 9.61796700954437255859e-1;
const CP_L: f64 = -7.02846165095275826516e-9;
const IVLN2: f64 = 1.44269504088896338700e0; // 1 / ln 2
const IVLN2_H: f64 = 1.44269502162933349609e0;
const IVLN2_L: f64 = 1.92596299112661746887e-8;

/** x * 2^n with one rounding (the result may be subnormal); x normal, finite, nonzero. */
function scaleByPow2(x: f64, n: i32): f64 {
  const hx = hiWord(x);
  let k = ((hx & 0x7ff00000) >> 20) + n;
  if (k > 0x7fe) return HUGE * copysign<f64>(HUGE, x);
  if (k > 0) return withHi(x, (hx & 0x800fffff) | (k << 20));
  if (k <= -54) return TINY * copysign<f64>(TINY, x);
  k += 54;
  return withHi(x, (hx & 0x800fffff) | (k << 20)) * 5.55111512312578270212e-17; // 2^-54
}

/** x ** y with the bits of V8's Math.pow (JavaScript semantics: pow(1, NaN) and pow(±1, ±inf) are NaN). */
export function mathPow(x: f64, y: f64): f64 {
  const hx = hiWord(x);
  const lx = loWord(x);
  const hy = hiWord(y);
  const ly = loWord(y);
  let ix = hx & 0x7fffffff;
  const iy = hy & 0x7fffffff;

  if ((iy | ly) == 0) return 1; // x ** 0
  if (ix > 0x7ff00000 || (ix == 0x7ff00000 && lx != 0) || iy > 0x7ff00000 || (iy == 0x7ff00000 && ly != 0)) return x + y; // NaN

  // For x < 0: is y an odd integer (1), an even one (2), or not an integer (0)?
  let yIsInt = 0;
  if (hx < 0) {
    if (iy >= 0x43400000) yIsInt = 2;
    else if (iy >= 0x3ff00000) {
      const e = (iy >> 20) - 0x3ff;
      if (e > 20) {
        const j = ly >> (52 - e);
        if (j << (52 - e) == ly) yIsInt = 2 - <i32>(j & 1);
      } else if (ly == 0) {
        const j = iy >> (20 - e);
        if (j << (20 - e) == iy) yIsInt = 2 - (j & 1);
      }
    }
  }

  if (ly == 0) {
    if (iy == 0x7ff00000) {
      // y = ±inf
      if (((ix - 0x3ff00000) | lx) == 0) return y - y; // (±1) ** ±inf = NaN
      if (ix >= 0x3ff00000) return hy >= 0 ? y : 0; // |x| > 1
      return hy < 0 ? -y : 0; // |x| < 1
    }
    if (iy == 0x3ff00000) return hy < 0 ? 1 / x : x; // y = ±1
    if (hy == 0x40000000) return x * x; // y = 2
    if (hy == 0x3fe00000 && hx >= 0) return sqrt<f64>(x); // y = 0.5, x >= +0
  }

  let ax = abs<f64>(x);
  if (lx == 0 && (ix == 0x7ff00000 || ix == 0 || ix == 0x3ff00000)) {
    // x = ±0, ±inf, ±1
    let z = ax;
    if (hy < 0) z = 1 / z;
    if (hx < 0) {
      if (((ix - 0x3ff00000) | yIsInt) == 0) z = (z - z) / (z - z); // (-1) ** non-integer
      else if (yIsInt == 1) z = -z;
    }
    return z;
  }

  const xNonNegative = hx >= 0;
  if (!xNonNegative && yIsInt == 0) return (x - x) / (x - x); // (x < 0) ** non-integer
  const sign: f64 = !xNonNegative && yIsInt == 1 ? -1 : 1;

  let t1: f64;
  let t2: f64;
  if (iy > 0x41e00000) {
    // |y| > 2^31
    if (iy > 0x43f00000) {
      // |y| > 2^64: over- or underflow
      if (ix <= 0x3fefffff) return hy < 0 ? HUGE * HUGE : TINY * TINY;
      if (ix >= 0x3ff00000) return hy > 0 ? HUGE * HUGE : TINY * TINY;
    }
    if (ix < 0x3fefffff) return hy < 0 ? sign * HUGE * HUGE : sign * TINY * TINY;
    if (ix > 0x3ff00000) return hy > 0 ? sign * HUGE * HUGE : sign * TINY * TINY;
    // |1 - x| <= 2^-20: log(x) by x - x^2/2 + x^3/3 - x^4/4.
    const t = ax - 1;
    const w = t * t * (0.5 - t * (0.3333333333333333333333 - t * 0.25));
    const u = IVLN2_H * t;
    const v = t * IVLN2_L - w * IVLN2;
    t1 = clearLo(u + v);
    t2 = v - (t1 - u);
  } else {
    let n = 0;
    if (ix < 0x00100000) {
      // subnormal x
      ax *= TWO53;
      n -= 53;
      ix = hiWord(ax);
    }
    n += (ix >> 20) - 0x3ff;
    const j = ix & 0x000fffff;
    ix = j | 0x3ff00000; // normalised
    let k = 0;
    if (j <= 0x3988e) k = 0; // |x| < sqrt(3/2)
    else if (j < 0xbb67a) k = 1; // |x| < sqrt(3)
    else {
      k = 0;
      n += 1;
      ix -= 0x00100000;
    }
    ax = withHi(ax, ix);
    const bp: f64 = k == 0 ? 1.0 : BP1;
    const dpH: f64 = k == 0 ? 0.0 : DP_H1;
    const dpL: f64 = k == 0 ? 0.0 : DP_L1;

    // ss = sH + sL = (x - 1) / (x + 1) or (x - 1.5) / (x + 1.5)
    let u = ax - bp;
    let v = 1 / (ax + bp);
    const ss = u * v;
    const sH = clearLo(ss);
    let tH = fromHi(((ix >> 1) | 0x20000000) + 0x00080000 + (k << 18)); // ax + bp, high part
    let tL = ax - (tH - bp);
    const sL = v * (u - sH * tH - sH * tL);
    // log(ax)
    let s2 = ss * ss;
    let r = s2 * s2 * (L1 + s2 * (L2 + s2 * (L3 + s2 * (L4 + s2 * (L5 + s2 * L6)))));
    r += sL * (sH + ss);
    s2 = sH * sH;
    tH = clearLo(3.0 + s2 + r);
    tL = r - (tH - 3.0 - s2);
    u = sH * tH;
    v = sL * tH + tL * ss;
    const pH = clearLo(u + v);
    const pL = v - (pH - u);
    const zH = CP_H * pH;
    const zL = CP_L * pH + pL * CP + dpL;
    // log2(ax) = n + dpH + zH + zL
    const t = <f64>n;
    t1 = clearLo(zH + zL + dpH + t);
    t2 = zL - (t1 - t - dpH - zH);
  }

  // (y1 + y2) * (t1 + t2), y1 = y with its low word cleared
  const y1 = clearLo(y);
  const pL = (y - y1) * t1 + y * t2;
  const pH = y1 * t1;
  return sign * powOfLog2(pH, pL);
}

/**
 * mathPow's last steps for x > 0: 2 ** (pH + pL), pH + pL = y log2 x (z), with its
 * overflow (+infinity) and underflow (+0) branches (mathPow gives sign times this).
 */
function powOfLog2(pH: f64, pL: f64): f64 {
  let z = pL + pH;
  const j = hiWord(z);
  const i = loWord(z);
  if (j >= 0x40900000) {
    // z >= 1024
    if (((<u32>j - 0x40900000) | i) != 0) return HUGE * HUGE;
    if (pL + OVT > z - pH) return HUGE * HUGE;
  } else if ((j & 0x7fffffff) >= 0x4090cc00) {
    // z <= -1075
    if (((<u32>j - 0xc090cc00) | i) != 0) return TINY * TINY;
    if (pL <= z - pH) return TINY * TINY;
  }

  // 2 ** (pH + pL)
  const iz = j & 0x7fffffff;
  let k = (iz >> 20) - 0x3ff;
  let n = 0;
  if (iz > 0x3fe00000) {
    // |z| > 0.5: n = [z + 0.5]
    n = j + (0x00100000 >> (k + 1));
    k = ((n & 0x7fffffff) >> 20) - 0x3ff;
    const t = fromHi(n & ~(0x000fffff >> k));
    n = ((n & 0x000fffff) | 0x00100000) >> (20 - k);
    if (j < 0) n = -n;
    pH -= t;
  }
  const t = clearLo(pL + pH);
  const u = t * LG2_H;
  const v = (pL - (t - pH)) * LG2 + t * LG2_L;
  z = u + v;
  const w = v - (z - u);
  const tt = z * z;
  const q = z - tt * (P1 + tt * (P2 + tt * (P3 + tt * (P4 + tt * P5))));
  // fdlibm has r = z q / (q - 2) - (w + z w); V8's port divides by (q - 2) - (w + z w) instead
  // (read off its machine code), which moves about 4% of results by one ulp. Math.pow's bits are the goal.
  const r = (z * q) / (q - 2.0 - (w + z * w));
  z = 1 - (r - z);
  const hz = hiWord(z) + (n << 20);
  if (hz >> 20 <= 0) z = scaleByPow2(z, n); // subnormal result
  else z = withHi(z, hz);
  return z;
}

/** The engine's Pow (C / PyTorch semantics where JavaScript differs): pow(1, y) = 1 and pow(-1, ±inf) = 1. */
@inline export function cPow(x: f64, y: f64): f64 {
  if (x == 1) return 1;
  if (x == -1 && abs<f64>(y) == Infinity) return 1;
  return mathPow(x, y);
}

/** powMainPath's condition on x: positive, normal, finite and not 1. */
@inline function baseOnMainPath(x: f64): bool {
  const hx = hiWord(x);
  return !(hx < 0x00100000 || hx >= 0x7ff00000 || (hx == 0x3ff00000 && loWord(x) == 0));
}

/** Whether x ** y takes mathPow's main path: x positive, normal, finite and not 1; y finite, nonzero, |y| <= 2^31, not ±1, 2 or 0.5. */
@inline function powMainPath(x: f64, y: f64): bool {
  const hy = hiWord(y);
  const ly = loWord(y);
  const iy = hy & 0x7fffffff;
  if (!baseOnMainPath(x)) return false;
  if ((iy | ly) == 0 || iy > 0x41e00000) return false;
  return !(ly == 0 && (iy == 0x3ff00000 || hy == 0x40000000 || hy == 0x3fe00000));
}

/** Lanes with their low words cleared (fdlibm's SET_LOW_WORD(x, 0)). */
@inline function clearLoLanes(x: v128): v128 {
  return v128.and(x, i64x2.splat(0xffffffff00000000));
}

/**
 * mathPow's n = [z + 0.5] from z's high word j, for |z| < 1024 (n = 0 and
 * t = 0 for |z| <= 0.5): t's high word in the upper 32 bits, n in the lower.
 */
@inline function nearestExponent(j: i32): i64 {
  if ((j & 0x7fffffff) <= 0x3fe00000) return 0;
  const k = ((j & 0x7fffffff) >> 20) - 0x3ff;
  let m = j + (0x00100000 >> (k + 1));
  const k2 = ((m & 0x7fffffff) >> 20) - 0x3ff;
  const tHi = m & ~(0x000fffff >> k2);
  m = ((m & 0x000fffff) | 0x00100000) >> (20 - k2);
  const n = j < 0 ? -m : m;
  return (<i64>tHi << 32) | <i64>(<u32>n);
}

/**
 * The first half of mathPow on two x's on its main path (x > 0, normal, finite, not 1), one per lane:
 * log2(x) = t1 + t2 in extra precision, with mathPow's operations in its order. Stores t1 at pT, t2 at pT + 16.
 */
@inline function log2Parts(x: v128, pT: usize): void {
  // log2(x) = n + dpH + zH + zL in extra precision (x > 0 normal: ix = hx).
  let ix = v128.and(x, i64x2.splat(0x7fffffff00000000)); // high words in lanes 1 and 3
  let n = i32x4.sub(i32x4.shr_s(ix, 20), i32x4.splat(0x3ff));
  const j = v128.and(ix, i32x4.splat(0x000fffff));
  const small = i32x4.le_s(j, i32x4.splat(0x3988e)); // |x| < sqrt(3/2): k = 0
  const mid = v128.andnot(i32x4.lt_s(j, i32x4.splat(0xbb67a)), small); // |x| < sqrt(3): k = 1
  const big = v128.not(v128.or(small, mid)); // else k = 0, n + 1, x / 2
  n = i32x4.sub(n, big); // true lanes are -1
  ix = v128.or(j, i32x4.splat(0x3ff00000));
  ix = i32x4.sub(ix, v128.and(big, i32x4.splat(0x00100000)));
  const hiMask = i64x2.splat(0xffffffff00000000);
  const ax = v128.bitselect(ix, x, hiMask);
  const k1 = v128.shuffle<i32>(mid, mid, 1, 1, 3, 3); // k = 1 as 64-bit lanes
  const bp = v128.bitselect(f64x2.splat(BP1), f64x2.splat(1.0), k1);
  const dpH = v128.and(f64x2.splat(DP_H1), k1);
  const dpL = v128.and(f64x2.splat(DP_L1), k1);
  let u = f64x2.sub(ax, bp);
  let v = f64x2.div(f64x2.splat(1), f64x2.add(ax, bp));
  const ss = f64x2.mul(u, v);
  const sH = clearLoLanes(ss);
  // ax + bp, high part: ((ix >> 1) | 0x20000000) + 0x00080000 + (k << 18) as high words, low words 0.
  const tHi = i32x4.add(i32x4.add(v128.or(i32x4.shr_s(ix, 1), i32x4.splat(0x20000000)), i32x4.splat(0x00080000)), v128.and(mid, i32x4.splat(1 << 18)));
  let tH = v128.and(tHi, hiMask);
  let tL = f64x2.sub(ax, f64x2.sub(tH, bp));
  const sL = f64x2.mul(v, f64x2.sub(f64x2.sub(u, f64x2.mul(sH, tH)), f64x2.mul(sH, tL)));
  let s2 = f64x2.mul(ss, ss);
  const poly = f64x2.add(
    f64x2.splat(L1),
    f64x2.mul(s2, f64x2.add(f64x2.splat(L2), f64x2.mul(s2, f64x2.add(f64x2.splat(L3), f64x2.mul(s2, f64x2.add(f64x2.splat(L4), f64x2.mul(s2, f64x2.add(f64x2.splat(L5), f64x2.mul(s2, f64x2.splat(L6)))))))))),
  );
  let r = f64x2.mul(f64x2.mul(s2, s2), poly);
  r = f64x2.add(r, f64x2.mul(sL, f64x2.add(sH, ss)));
  s2 = f64x2.mul(sH, sH);
  tH = clearLoLanes(f64x2.add(f64x2.add(f64x2.splat(3.0), s2), r));
  tL = f64x2.sub(r, f64x2.sub(f64x2.sub(tH, f64x2.splat(3.0)), s2));
  u = f64x2.mul(sH, tH);
  v = f64x2.add(f64x2.mul(sL, tH), f64x2.mul(tL, ss));
  const pH0 = clearLoLanes(f64x2.add(u, v));
  const pL0 = f64x2.sub(v, f64x2.sub(pH0, u));
  const zH = f64x2.mul(f64x2.splat(CP_H), pH0);
  const zL = f64x2.add(f64x2.add(f64x2.mul(f64x2.splat(CP_L), pH0), f64x2.mul(pL0, f64x2.splat(CP))), dpL);
  const t = v128.convert_low<i32>(v128.shuffle<i32>(n, n, 1, 3, 1, 3));
  const t1 = clearLoLanes(f64x2.add(f64x2.add(f64x2.add(zH, zL), dpH), t));
  v128.store(pT, t1);
  v128.store(pT, f64x2.sub(zL, f64x2.sub(f64x2.sub(f64x2.sub(t1, t), dpH), zH)), 16);
}

/**
 * The second half of mathPow on two lanes: 2 ** (y (t1 + t2)) from log2Parts' t1, t2, with mathPow's
 * operations in its order: the same bits. The rounding of y log2 x to an integer n needs shifts by a
 * per-lane amount, so it runs per lane. A pair with |y log2 x| >= 1024 (overflow, underflow) finishes
 * lane by lane in powOfLog2; returns false (out untouched) when a result would be subnormal.
 */
@inline function exp2Pair(t1: v128, t2: v128, y: v128, pOut: usize): bool {
  // (y1 + y2) * (t1 + t2)
  const y1 = clearLoLanes(y);
  const pL = f64x2.add(f64x2.mul(f64x2.sub(y, y1), t1), f64x2.mul(y, t2));
  let pH = f64x2.mul(y1, t1);
  const z0 = f64x2.add(pL, pH);

  // n = [z + 0.5] per lane (shifts by per-lane amounts), for |z| < 1024.
  const j0 = i32x4.extract_lane(z0, 1);
  const j1 = i32x4.extract_lane(z0, 3);
  if ((j0 & 0x7fffffff) >= 0x40900000 || (j1 & 0x7fffffff) >= 0x40900000) {
    // |z| >= 1024, overflow or underflow (common in mined expressions: Pow($volume,$close), Pow(0.5,$volume)):
    // mathPow's last steps lane by lane, from the same pH and pL.
    v128.store(pOut, f64x2(powOfLog2(f64x2.extract_lane(pH, 0), f64x2.extract_lane(pL, 0)), powOfLog2(f64x2.extract_lane(pH, 1), f64x2.extract_lane(pL, 1))));
    return true;
  }
  const r0 = nearestExponent(j0);
  const r1 = nearestExponent(j1);
  const n0 = <i32>r0;
  const n1 = <i32>r1;
  // pH - t, with t = 0 (tHi 0) where |z| <= 0.5: pH - 0 = pH exactly.
  const tv = i64x2.replace_lane(i64x2.splat(r0 & 0xffffffff00000000), 1, r1 & 0xffffffff00000000);
  pH = f64x2.sub(pH, tv);

  // 2 ** (pH + pL)
  const tt0 = clearLoLanes(f64x2.add(pL, pH));
  const uu = f64x2.mul(tt0, f64x2.splat(LG2_H));
  const vv = f64x2.add(f64x2.mul(f64x2.sub(pL, f64x2.sub(tt0, pH)), f64x2.splat(LG2)), f64x2.mul(tt0, f64x2.splat(LG2_L)));
  let z = f64x2.add(uu, vv);
  const w = f64x2.sub(vv, f64x2.sub(z, uu));
  const zz = f64x2.mul(z, z);
  const q = f64x2.sub(
    z,
    f64x2.mul(zz, f64x2.add(f64x2.splat(P1), f64x2.mul(zz, f64x2.add(f64x2.splat(P2), f64x2.mul(zz, f64x2.add(f64x2.splat(P3), f64x2.mul(zz, f64x2.add(f64x2.splat(P4), f64x2.mul(zz, f64x2.splat(P5)))))))))),
  );
  // V8's division (see mathPow).
  const rr = f64x2.div(f64x2.mul(z, q), f64x2.sub(f64x2.sub(q, f64x2.splat(2.0)), f64x2.add(w, f64x2.mul(z, w))));
  z = f64x2.sub(f64x2.splat(1), f64x2.sub(rr, z));
  const hz0 = i32x4.extract_lane(z, 1) + (n0 << 20);
  const hz1 = i32x4.extract_lane(z, 3) + (n1 << 20);
  if (hz0 >> 20 <= 0 || hz1 >> 20 <= 0) return false; // subnormal results
  z = i32x4.replace_lane(i32x4.replace_lane(z, 1, hz0), 3, hz1);
  v128.store(pOut, z);
  return true;
}

/** mathPow of two (x, y) pairs on its main path (powMainPath for both), one per lane: log2Parts then exp2Pair (tmp: 32 bytes). */
@inline function powPair(x: v128, y: v128, pOut: usize, tmp: usize): bool {
  log2Parts(x, tmp);
  return exp2Pair(v128.load(tmp), v128.load(tmp, 16), y, pOut);
}

/**
 * The cell i of powCells off the two-lane path, x ** y not on mathPow's main
 * path: a negative base with an integer exponent whose |x| ** y is on it
 * joins the queue (its result is ±(|x| ** y): mathPow works on |x| and
 * multiplies by -1 for odd y, +1 for even, as fdlibm does); exponents 0 and
 * ±1 and a negative finite base with a non-integer finite exponent get
 * mathPow's answers (1, x, 1 / x, NaN) directly; the rest take cPow. Returns
 * the queue's new length.
 */
@inline function offPathCell(x: f64, y: f64, i: i32, pOut: usize, pQueue: usize, nq: i32): i32 {
  if (y == 0) st(pOut, i, 1);
  else if (y == 1) st(pOut, i, x);
  else if (y == -1) st(pOut, i, 1 / x);
  else if (x < 0 && floor<f64>(y) == y && powMainPath(-x, y)) sti(pQueue, nq++, (i << 1) | 1);
  else if (x < 0 && x > -Infinity && floor<f64>(y) != y && abs<f64>(y) < Infinity) st(pOut, i, NaN);
  else st(pOut, i, cPow(x, y));
  return nq;
}

/** Cell pairs per chunk of powCells' two passes (their log2 parts wait in scratch: 32 bytes a pair). */
const POW_CHUNK_PAIRS: i32 = 256;

/**
 * out[i] = cPow(a[i * sa], b[i * sb]) over n cells (sa, sb: 1, or 0 for a
 * broadcast value): pairs of cells on mathPow's main path in two lanes, in
 * chunks of two passes: first every pair's log2 x (log2Parts; once for a
 * broadcast base), then 2 ** (y log2 x) (exp2Pair). Kernel A/B on the
 * bundled prices against one pass of both halves per pair: a broadcast base
 * 1.65-1.68x, other exponents 1.04-1.13x. A main-path cell whose neighbour is not, and a negative base
 * with an integer exponent (see offPathCell), wait in a queue and are paired
 * with each other afterwards; other cells run one at a time. The same bits as
 * Math.pow per cell (NaN results: a NaN).
 * Scratch: powCellsScratch(n) bytes: n i32 (the queue: cell index << 1, | 1
 * for a negative base), a 32-byte spare, then a chunk's pair list (POW_CHUNK_PAIRS i32) and log2 parts
 * (POW_CHUNK_PAIRS x 32 bytes).
 */
export function powCellsScratch(n: f64): f64 {
  return n * 4 + 64 + <f64>POW_CHUNK_PAIRS * 36;
}
export function powCells(pA: usize, sa: i32, pB: usize, sb: i32, pOut: usize, n: i32, pQueue: usize): void {
  const tmp = (pQueue + ((<usize>n) << 2) + 15) & ~(<usize>15);
  const logs = tmp + 32;
  const pairList = logs + ((<usize>POW_CHUNK_PAIRS) << 5);
  // A broadcast base: its log2 parts once (used only by pairs on the main path, where the base is on it).
  const x00 = ld(pA, 0);
  const baseOnPath = sa == 0 && baseOnMainPath(x00);
  if (baseOnPath) log2Parts(f64x2.splat(x00), tmp);
  const bT1 = v128.load(tmp);
  const bT2 = v128.load(tmp, 16);
  let nq = 0;
  let i = 0;
  while (i + 1 < n) {
    // First pass: classify a chunk's pairs; main-path pairs get their log2 parts.
    let np = 0;
    for (; i + 1 < n && np < POW_CHUNK_PAIRS; i += 2) {
      const x0 = ld(pA, i * sa);
      const x1 = ld(pA, (i + 1) * sa);
      const y0 = ld(pB, i * sb);
      const y1 = ld(pB, (i + 1) * sb);
      const main0 = powMainPath(x0, y0);
      if (main0 && powMainPath(x1, y1)) {
        sti(pairList, np, i);
        if (!baseOnPath) log2Parts(f64x2(x0, x1), logs + ((<usize>np) << 5));
        np++;
        continue;
      }
      if (main0) sti(pQueue, nq++, i << 1);
      else nq = offPathCell(x0, y0, i, pOut, pQueue, nq);
      if (powMainPath(x1, y1)) sti(pQueue, nq++, (i + 1) << 1);
      else nq = offPathCell(x1, y1, i + 1, pOut, pQueue, nq);
    }
    // Second pass: 2 ** (y log2 x) for those pairs.
    for (let p = 0; p < np; p++) {
      const c = ldi(pairList, p);
      const y = f64x2(ld(pB, c * sb), ld(pB, (c + 1) * sb));
      const at = logs + ((<usize>p) << 5);
      const t1 = baseOnPath ? bT1 : v128.load(at);
      const t2 = baseOnPath ? bT2 : v128.load(at, 16);
      if (exp2Pair(t1, t2, y, pOut + ((<usize>c) << 3))) continue;
      st(pOut, c, cPow(ld(pA, c * sa), f64x2.extract_lane(y, 0)));
      st(pOut, c + 1, cPow(ld(pA, (c + 1) * sa), f64x2.extract_lane(y, 1)));
    }
  }
  for (; i < n; i++) st(pOut, i, cPow(ld(pA, i * sa), ld(pB, i * sb)));
  // The queue, two cells at a time (an odd last one twice); results through the 2-cell spare (tmp).
  for (let q = 0; q < nq; q += 2) {
    const e0 = ldi(pQueue, q);
    const e1 = ldi(pQueue, min(q + 1, nq - 1));
    const c0 = e0 >> 1;
    const c1 = e1 >> 1;
    const x0 = ld(pA, c0 * sa);
    const x1 = ld(pA, c1 * sa);
    const y0 = ld(pB, c0 * sb);
    const y1 = ld(pB, c1 * sb);
    const neg0 = (e0 & 1) != 0;
    const neg1 = (e1 & 1) != 0;
    if (powPair(f64x2(neg0 ? -x0 : x0, neg1 ? -x1 : x1), f64x2(y0, y1), tmp, tmp)) {
      // (-x) ** y = -(|x| ** y) for odd y (an integer below 2^31 in magnitude here)
      const z0 = ld(tmp, 0);
      const z1 = ld(tmp, 1);
      st(pOut, c0, neg0 && (<i64>y0 & 1) != 0 ? -z0 : z0);
      st(pOut, c1, neg1 && (<i64>y1 & 1) != 0 ? -z1 : z1);
    } else {
      st(pOut, c0, cPow(x0, y0));
      st(pOut, c1, cPow(x1, y1));
    }
  }
}
