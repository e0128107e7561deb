/**
 * The report: one self-contained HTML file (inline CSS, inline SVG charts, no
 * script, no external resource), readable offline. Sections appear when their
 * inputs exist; each chart is a <figure class="chart" data-chart="NAME">.
 */
import { METRIC_COLUMNS } from '../combine/metrics.js';
import type { RiskStats } from '../backtest/risk.js';
import { icChart, mutualIcHeatmap, percentLinesChart, trainingChart, type NamedSeries } from './charts.js';
import type { ReportInputs, TrainingRecord } from './gather.js';

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const f4 = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(4));
const p2 = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? '–' : `${(v * 100).toFixed(2)}%`);
const f3 = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(3));

function figure(name: string, title: string, caption: string, svg: string): string {
  return `<figure class="chart" data-chart="${name}" id="chart-${name}"><figcaption><b>${escapeHtml(title)}</b> ${escapeHtml(caption)}</figcaption>${svg}</figure>`;
}

function table(head: string[], rows: string[][], cls = ''): string {
  return `<table class="${cls}"><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

function cumulative(r: readonly number[]): number[] {
  let v = 1;
  return r.map((x) => (v *= 1 + x) - 1);
}

function cumsum(r: readonly number[]): number[] {
  let s = 0;
  return r.map((x) => (s += x));
}

/** Drawdown of a compounded path from its peak (the start counts). */
function drawdownOfCompound(r: readonly number[]): number[] {
  let v = 1;
  let peak = 1;
  return r.map((x) => {
    v *= 1 + x;
    peak = Math.max(peak, v);
    return v / peak - 1;
  });
}

/** Qlib's drawdown of a summed series: cumsum - its running max (0 counts). */
function drawdownOfSum(r: readonly number[]): number[] {
  let s = 0;
  let peak = 0;
  return r.map((x) => {
    s += x;
    peak = Math.max(peak, s);
    return s - peak;
  });
}

function riskRow(name: string, r: RiskStats): string[] {
  return [name, p2(r.annualized_return), f3(r.information_ratio), p2(r.max_drawdown), p2(r.std * Math.sqrt(252))];
}

function trainingSection(records: TrainingRecord[], path: string | null): string {
  const episodes = records.map((r) => r.episode);
  const field = (k: string) => records.map((r) => (typeof r[k] === 'number' ? (r[k] as number) : NaN));
  const has = (k: string) => records.some((r) => typeof r[k] === 'number' && Number.isFinite(r[k] as number));
  const icSeries: NamedSeries[] = [];
  if (has('best_ic')) icSeries.push({ name: 'best single |IC| (train)', values: field('best_ic') });
  if (has('test_ic')) icSeries.push({ name: 'pool test IC', values: field('test_ic') });
  if (has('test_rank_ic')) icSeries.push({ name: 'pool test RankIC', values: field('test_rank_ic'), dashed: true });
  const left: NamedSeries[] = has('pool_size') ? [{ name: 'pool size', values: field('pool_size') }] : [];
  const right: NamedSeries[] = [];
  if (has('mean_reward')) right.push({ name: 'mean reward', values: field('mean_reward') });
  if (has('valid_ratio')) right.push({ name: 'valid expressions', values: field('valid_ratio'), dashed: true });
  const parts: string[] = [];
  const src = path ? ` from ${path}` : '';
  if (icSeries.length > 0) parts.push(figure('training-ic', 'Training: ICs by episode.', `Logged every log_freq episodes${src}.`, trainingChart(episodes, icSeries, [], 'IC', '')));
  if (left.length + right.length > 0) {
    parts.push(
      figure(
        'training-pool',
        'Training: pool size and rewards by episode.',
        '',
        left.length > 0 ? trainingChart(episodes, left, right, 'members', 'reward / share') : trainingChart(episodes, right, [], 'reward / share', ''),
      ),
    );
  }
  if (has('loss')) {
    parts.push(figure('training-loss', 'Training: loss by episode.', 'Trajectory-balance loss (with the entropy term) of the last update before each log.', trainingChart(episodes, [{ name: 'loss', values: field('loss') }], has('log_z') ? [{ name: 'log Z', values: field('log_z'), dashed: true }] : [], 'loss', 'log Z')));
  }
  if (parts.length === 0) return '<p class="note">metrics.jsonl has no IC, pool-size or loss fields to plot.</p>';
  const last = records[records.length - 1];
  const facts = [`${records.length} records, episodes ${episodes[0]}..${last.episode}`];
  if (typeof last.pool_size === 'number') facts.push(`final pool size ${last.pool_size}`);
  if (typeof last.test_ic === 'number') facts.push(`last test IC ${f4(last.test_ic)}`);
  if (typeof last.test_rank_ic === 'number') facts.push(`last test RankIC ${f4(last.test_rank_ic)}`);
  return `<p>${escapeHtml(facts.join('; '))}.</p>${parts.join('\n')}`;
}

const CSS = `
body{font-family:Helvetica,Arial,sans-serif;margin:0;color:#222;background:#fafafa}
main{max-width:1060px;margin:0 auto;padding:24px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:32px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
.meta{color:#666;font-size:13px}
table{border-collapse:collapse;font-size:13px;margin:8px 0;background:#fff}
th,td{border:1px solid #ddd;padding:4px 8px;text-align:right}
th{background:#f0f0f0}td:first-child,th:first-child{text-align:left}
table.pool th:nth-child(2){text-align:left}
table.pool td:nth-child(2){text-align:left;font-family:Menlo,Consolas,monospace;font-size:12px}
figure.chart{background:#fff;border:1px solid #e3e3e3;margin:12px 0;padding:8px;overflow-x:auto}
figcaption{font-size:13px;color:#444;margin-bottom:4px}
.cards{display:flex;gap:12px;flex-wrap:wrap;margin:12px 0}
.card{background:#fff;border:1px solid #e3e3e3;padding:8px 14px;min-width:120px}
.card .v{font-size:20px;font-weight:bold}.card .k{font-size:12px;color:#666}
.note{color:#8a5a00;background:#fff8e6;border:1px solid #f0d9a0;padding:6px 10px;font-size:13px}
`;

export function buildReportHtml(inp: ReportInputs, generatedAt = new Date()): string {
  const sections: string[] = [];
  const c = inp.combine;
  const b = inp.backtest;

  // headline cards
  const cards: Array<[string, string]> = [];
  if (c?.windows.test) {
    cards.push(['test IC', f4(c.windows.test.ic)], ['test RankIC', f4(c.windows.test.ric)], ['test ICIR', f4(c.windows.test.icir)]);
  }
  if (b) {
    // The backtest may trade another segment than the test cards above: its cards say which.
    const { first_day: from, last_day: to } = b.summary;
    const segment = Object.entries(c?.windows ?? {}).find(([, w]) => w.start <= from && to <= w.end)?.[0] ?? `${from}..${to}`;
    cards.push(
      [`${segment} annualised return (after cost)`, p2(b.summary.strategy.annualized_return)],
      [`${segment} excess return (after cost)`, p2(b.summary.excess_return_with_cost.annualized_return)],
      [`${segment} information ratio (excess)`, f3(b.summary.excess_return_with_cost.information_ratio)],
      [`${segment} NAV max drawdown`, p2(b.summary.strategy.nav_max_drawdown)],
    );
  }
  if (cards.length > 0) sections.push(`<div class="cards">${cards.map(([k, v]) => `<div class="card"><div class="v">${v}</div><div class="k">${escapeHtml(k)}</div></div>`).join('')}</div>`);
  // combine's caveats read as the sentences of the report's own notes.
  const notes = [...(c?.notes ?? []).map((n) => n.replace(/^note: (.)/, (_, first: string) => first.toUpperCase())), ...inp.notes];
  if (notes.length > 0) sections.push(notes.map((n) => `<p class="note">${escapeHtml(n)}</p>`).join(''));

  if (c) {
    const s = c.settings;
    const how =
      c.mode === 'adaptive'
        ? `Adaptive combination: each day, alphas with |mean RankIC| > ${s.thresholdRic} and |RankICIR| > ${s.thresholdRicir} over the past (window ${s.window}, ending ${Number(s.labelDays) + 1} days before), at most ${s.nFactors}, refitted by least squares with an intercept.`
        : `Static combination with ${s.staticWeights === 'fit' ? 'weights fitted on the train window' : "the pool's weights"}.`;
    const rows = (['valid', 'test'] as const)
      .filter((w) => c.windows[w])
      .map((w) => {
        const m = c.windows[w];
        return [`${w === 'valid' ? 'Validation' : 'Test'} <span class="meta">${m.start}..${m.end}, ${m.days} days</span>`, ...METRIC_COLUMNS.map((col) => f4(m[col.key]))];
      });
    sections.push(
      `<h2>Combination metrics</h2><p>${escapeHtml(how)} IC/RankIC: daily Pearson/Spearman of the prediction and the ${s.labelDays}-day forward return; RET: the top 20% of stocks' forward return / ${s.labelDays}, × 252; RET_SR: × √252; stds with the n-1 divisor.</p>` +
        table(['Window', ...METRIC_COLUMNS.map((m) => m.label)], rows),
    );
    const dates = c.daily.map((d) => d.date);
    const testStart = c.daily.find((d) => d.segment === 'test')?.date ?? null;
    sections.push(
      figure(
        'ic',
        'Daily IC and RankIC of the prediction.',
        'Thin lines: each day; thick: 20-day trailing means; the dashed marker is the start of the test window.',
        icChart(
          dates,
          c.daily.map((d) => d.ic),
          c.daily.map((d) => d.rankIc),
          testStart,
        ),
      ),
    );
  }

  if (b) {
    const s = b.summary;
    const dates = b.daily.map((d) => d.date);
    const net = b.daily.map((d) => d.return - d.cost);
    const bench = b.daily.map((d) => d.bench);
    const excess = b.daily.map((d) => d.return - d.bench - d.cost);
    const st = b.settings;
    const rows = [
      riskRow('Strategy (after cost)', s.strategy),
      riskRow(`Benchmark: ${escapeHtml(s.benchmark.name)}`, s.benchmark),
      riskRow('Excess return without cost', s.excess_return_without_cost),
      riskRow('Excess return with cost', s.excess_return_with_cost),
    ];
    if (b.longShort) rows.push(riskRow(`Long-short (${b.longShort.quantile} quantiles, rebalanced every ${b.longShort.holding_period} days, after cost)`, b.longShort.stats));
    sections.push(
      `<h2>Backtest</h2><p>Qlib TopkDropout: hold ${st.topk}, swap the ${st.nDrop} worst each day for the best not held, deal at the ${st.dealPrice}, costs ${st.openCost} buy / ${st.closeCost} sell / min ${st.minCost}, account ${Number(st.account).toExponential(0)}; ${s.first_day}..${s.last_day} (${s.days} days). Annualised figures: mean × 252; IR: mean / std × √252; max drawdown of the summed daily series (Qlib's convention).</p>` +
        table(['', 'annualised return', 'information ratio', 'max drawdown (summed)', 'annualised volatility'], rows) +
        table(
          ['total return', 'benchmark total', 'NAV max drawdown', 'mean daily turnover', 'cost paid', 'cost / account', 'final value', 'stocks held'],
          [
            [
              p2(s.strategy.total_return),
              p2(s.benchmark.total_return),
              p2(s.strategy.nav_max_drawdown),
              p2(s.turnover.mean_daily),
              s.cost.total_paid.toFixed(0),
              p2(s.cost.share_of_account),
              s.final_value.toFixed(0),
              s.mean_holdings.toFixed(1),
            ],
          ],
        ),
    );
    const cumSeries: NamedSeries[] = [
      { name: 'strategy (after cost)', values: cumulative(net) },
      { name: 'benchmark', values: cumulative(bench) },
      { name: 'excess (after cost, summed)', values: cumsum(excess), dashed: true },
    ];
    if (b.longShort && b.daily.every((d) => d.lsReturn !== null)) {
      cumSeries.push({ name: 'long-short (after cost)', values: cumulative(b.daily.map((d) => (d.lsReturn as number) - (d.lsCost ?? 0))) });
    }
    sections.push(figure('cumulative', 'Cumulative return: strategy vs benchmark.', 'Compounded daily returns; the excess line sums daily excess returns as Qlib does.', percentLinesChart(dates, cumSeries, 'cumulative return')));
    sections.push(
      figure(
        'drawdown',
        'Drawdown.',
        'Strategy and benchmark: from the running peak of the compounded value; excess: cumulative sum minus its running max.',
        percentLinesChart(
          dates,
          [
            { name: 'strategy', values: drawdownOfCompound(net), area: true },
            { name: 'benchmark', values: drawdownOfCompound(bench) },
            { name: 'excess (after cost)', values: drawdownOfSum(excess), dashed: true },
          ],
          'drawdown',
        ),
      ),
    );
  }

  // the pool table
  const pool = inp.pool?.file;
  const alphaRows = c?.alphas ?? pool?.exprs.map((expr, i) => ({ expr, weight: pool.weights[i], pool_ic: pool.ics?.[i] ?? null }));
  if (alphaRows) {
    const withWindows = c !== null;
    const head = ['#', 'expression', 'weight', 'IC (pool file)'];
    if (withWindows) head.push('valid IC', 'valid RankIC', 'test IC', 'test RankIC');
    const adaptive = c?.mode === 'adaptive';
    if (adaptive) head.push('days in the fit');
    const nDays = c ? c.daily.length : 0;
    const rows = alphaRows.map((a, i) => {
      const r = [String(i + 1), escapeHtml(a.expr), f4(a.weight), f4(a.pool_ic)];
      if (c) {
        const s = c.alphas[i];
        r.push(f4(s.valid_ic), f4(s.valid_rank_ic), f4(s.test_ic), f4(s.test_rank_ic));
        if (adaptive) r.push(`${s.days_selected ?? 0} / ${nDays}`);
      }
      return r;
    });
    const src = inp.pool ? ` (${escapeHtml(inp.pool.path)})` : '';
    const note = withWindows ? ' Window ICs: mean daily Pearson / Spearman of each normalized alpha and the forward return.' : '';
    sections.push(`<h2>Alpha pool</h2><p>${alphaRows.length} alphas${src}.${note}</p>` + table(head, rows, 'pool'));
  }

  // mutual-IC heatmap: the combination's (valid + test days), else the pool file's
  const mutual = c?.mutual?.matrix ?? pool?.mutual_ics ?? null;
  if (mutual && mutual.length > 0) {
    const where = c?.mutual ? `over ${c.mutual.window.start}..${c.mutual.window.end}` : "as stored in the pool file (its mining window)";
    sections.push(figure('mutual-ic', "Mutual IC of the alphas.", `Mean daily Pearson correlation between each pair of normalized alphas ${where}; numbers as in the pool table.`, mutualIcHeatmap(mutual)));
  }

  if (inp.training) {
    sections.push(`<h2>Training</h2>${trainingSection(inp.training, inp.trainingPath)}`);
  }

  const title = `alphasage report: ${inp.title}`;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><style>${CSS}</style></head>
<body><main>
<h1>${escapeHtml(title)}</h1>
<div class="meta">${escapeHtml(inp.dir)} · generated ${escapeHtml(generatedAt.toISOString().replace('T', ' ').slice(0, 19))} UTC</div>
${sections.join('\n')}
</main></body></html>
`;
}
