/**
 * Qlib's risk_analysis (mode 'sum', 252 periods a year) of a daily return series:
 * annualized_return = mean x 252, information_ratio = mean / std x sqrt(252)
 * (std with the n-1 divisor), max_drawdown = min of cumsum - running max of cumsum
 * (a negative number, as Qlib prints it).
 */
export interface RiskStats {
  mean: number;
  std: number;
  annualized_return: number;
  information_ratio: number;
  max_drawdown: number;
}

export function riskAnalysis(r: ArrayLike<number>, periods = 252): RiskStats {
  const n = r.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += r[i];
  const mean = sum / n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (r[i] - mean) ** 2;
  const std = Math.sqrt(ss / (n - 1));
  let cum = 0;
  let peak = -Infinity;
  let mdd = 0;
  for (let i = 0; i < n; i++) {
    cum += r[i];
    if (cum > peak) peak = cum;
    if (cum - peak < mdd) mdd = cum - peak;
  }
  return {
    mean,
    std,
    annualized_return: mean * periods,
    information_ratio: (mean / std) * Math.sqrt(periods),
    max_drawdown: n > 0 ? mdd : NaN,
  };
}

/** Compounded value path of daily returns, starting at 1 before the first day. */
export function compound(r: ArrayLike<number>): Float64Array {
  const out = new Float64Array(r.length);
  let v = 1;
  for (let i = 0; i < r.length; i++) {
    v *= 1 + r[i];
    out[i] = v;
  }
  return out;
}

/** Drawdown of a value path relative to its running peak (the start, 1, counts as a peak): values <= 0. */
export function drawdownPath(value: ArrayLike<number>): Float64Array {
  const out = new Float64Array(value.length);
  let peak = 1;
  for (let i = 0; i < value.length; i++) {
    if (value[i] > peak) peak = value[i];
    out[i] = value[i] / peak - 1;
  }
  return out;
}

export function minOf(x: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) if (x[i] < m) m = x[i];
  return m;
}
