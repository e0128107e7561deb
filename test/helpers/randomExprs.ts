/** Random expressions for fuzz and differential tests, built token by token through the validity masks. */
import { ExprBuilder, N_ACTIONS, SEP_ID, type Expr } from '../../src/expr/index.js';
import type { Rng } from '../../src/util/rng.js';

/** Random valid token sequences through the masks (uniform over allowed actions, SEP when allowed with p = 0.3). */
export function randomExprs(rng: Rng, count: number): Expr[] {
  const out: Expr[] = [];
  const mask = new Uint8Array(N_ACTIONS);
  while (out.length < count) {
    const b = new ExprBuilder();
    for (;;) {
      b.validActionMask(mask);
      if (mask[SEP_ID - 1] && (b.full || rng.next() < 0.3)) break;
      const allowed: number[] = [];
      for (let a = 0; a < N_ACTIONS; a++) if (mask[a] && a !== SEP_ID - 1) allowed.push(a);
      if (allowed.length === 0) break;
      b.push(allowed[rng.int(allowed.length)] + 1);
    }
    if (b.isValid()) out.push(b.build());
  }
  return out;
}
