/**
 * Charts of the report, rendered server side to SVG strings by echarts
 * (renderer 'svg' + ssr, then renderToSVGString): no browser, no script and
 * no network are needed to view them. Every chart is disposed after rendering
 * (a live SSR chart keeps the process from exiting).
 */
import * as echarts from 'echarts';

type EChartsOption = echarts.EChartsOption;

export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#17becf'];

export function renderSvg(option: EChartsOption, width: number, height: number): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    chart.setOption({ animation: false, color: PALETTE, textStyle: { fontFamily: 'Helvetica, Arial, sans-serif' }, ...option });
    // The SVG is static: its :hover rules only promised interaction, and echarts writes a gradient's fill into
    // them as "[object Object]" (the visual map's colour bar), which is invalid CSS.
    return chart.renderToSVGString().replace(/\n?\.[\w-]+:hover \{[^}]*\}/g, '');
  } finally {
    chart.dispose();
  }
}

/** Trailing mean over the last `w` values (fewer at the start). */
export function rollingMean(x: ArrayLike<number>, w: number): number[] {
  const out: number[] = [];
  let sum = 0;
  for (let i = 0; i < x.length; i++) {
    sum += x[i];
    if (i >= w) sum -= x[i - w];
    out.push(sum / Math.min(i + 1, w));
  }
  return out;
}

const pct = (digits: number) => (v: number) => `${(v * 100).toFixed(digits)}%`;
const round = (v: number, d = 6) => (Number.isFinite(v) ? Math.round(v * 10 ** d) / 10 ** d : null);

function baseGrid(): EChartsOption {
  return {
    grid: { left: 70, right: 30, top: 50, bottom: 60 },
    legend: { top: 8, left: 'center' },
  };
}

/** Daily IC and RankIC of the prediction with their trailing means; a marker where the test window starts. */
export function icChart(dates: readonly string[], ic: readonly number[], rankIc: readonly number[], testStart: string | null, w = 20): string {
  const marker = testStart
    ? { symbol: 'none', lineStyle: { color: '#555', type: 'dashed' as const }, label: { formatter: 'test', position: 'insideEndTop' as const }, data: [{ xAxis: testStart }] }
    : undefined;
  return renderSvg(
    {
      ...baseGrid(),
      xAxis: { type: 'category', data: [...dates], axisLabel: { hideOverlap: true } },
      yAxis: { type: 'value', name: 'correlation', axisLabel: { formatter: (v: number) => v.toFixed(2) } },
      series: [
        { name: 'daily IC', type: 'line', data: ic.map((v) => round(v)), symbol: 'none', lineStyle: { width: 0.8, opacity: 0.45 }, markLine: marker },
        { name: 'daily RankIC', type: 'line', data: rankIc.map((v) => round(v)), symbol: 'none', lineStyle: { width: 0.8, opacity: 0.45 } },
        { name: `IC, ${w}-day mean`, type: 'line', data: rollingMean(ic, w).map((v) => round(v)), symbol: 'none', lineStyle: { width: 2.2 } },
        { name: `RankIC, ${w}-day mean`, type: 'line', data: rollingMean(rankIc, w).map((v) => round(v)), symbol: 'none', lineStyle: { width: 2.2 } },
      ],
      color: ['#6baed6', '#fc9272', PALETTE[0], PALETTE[1]],
    },
    1000,
    340,
  );
}

export interface NamedSeries {
  name: string;
  values: readonly number[];
  area?: boolean;
  dashed?: boolean;
}

/** Lines over dates with a percent axis (cumulative returns, drawdowns). */
export function percentLinesChart(dates: readonly string[], series: readonly NamedSeries[], axisName: string): string {
  return renderSvg(
    {
      ...baseGrid(),
      xAxis: { type: 'category', data: [...dates], axisLabel: { hideOverlap: true } },
      yAxis: { type: 'value', name: axisName, axisLabel: { formatter: pct(0) } },
      series: series.map((s) => ({
        name: s.name,
        type: 'line' as const,
        data: s.values.map((v) => round(v)),
        symbol: 'none',
        lineStyle: { width: 1.8, type: s.dashed ? ('dashed' as const) : ('solid' as const) },
        areaStyle: s.area ? { opacity: 0.18 } : undefined,
      })),
    },
    1000,
    340,
  );
}

/** The alphas' mutual-IC matrix as a heatmap (alphas numbered as in the pool table). */
export function mutualIcHeatmap(matrix: readonly (readonly number[])[]): string {
  const n = matrix.length;
  const labels = matrix.map((_, i) => String(i + 1));
  const data: [number, number, number | null][] = [];
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) data.push([j, n - 1 - i, round(matrix[i][j], 3)]);
  const size = Math.min(760, Math.max(360, 60 + n * 22));
  return renderSvg(
    {
      grid: { left: 50, right: 20, top: 20, bottom: 90 },
      xAxis: { type: 'category', data: labels, splitArea: { show: false }, axisLabel: { interval: n > 30 ? 1 : 0, fontSize: 10 } },
      yAxis: { type: 'category', data: [...labels].reverse(), axisLabel: { interval: n > 30 ? 1 : 0, fontSize: 10 } },
      visualMap: {
        min: -1,
        max: 1,
        orient: 'horizontal',
        left: 'center',
        bottom: 8,
        itemWidth: 14,
        itemHeight: 200,
        text: ['+1', '-1'],
        calculable: false,
        inRange: { color: ['#2166ac', '#67a9cf', '#f7f7f7', '#ef8a62', '#b2182b'] },
      },
      series: [{ type: 'heatmap', data, label: { show: n <= 12, fontSize: 10, formatter: (p: { value?: unknown }) => ((p.value as number[])[2] ?? 0).toFixed(2) } }],
    },
    size,
    size + 40,
  );
}

/** Training curves against the episode: one or two value axes. */
export function trainingChart(episodes: readonly number[], left: readonly NamedSeries[], right: readonly NamedSeries[], leftName: string, rightName: string): string {
  const yAxis: EChartsOption['yAxis'] = [{ type: 'value', name: leftName, scale: true }];
  if (right.length > 0) yAxis.push({ type: 'value', name: rightName, scale: true, splitLine: { show: false } });
  const line = (s: NamedSeries, axis: number) => ({
    name: s.name,
    type: 'line' as const,
    yAxisIndex: axis,
    data: episodes.map((e, i) => [e, round(s.values[i])]),
    symbol: episodes.length > 60 ? 'none' : 'circle',
    connectNulls: true,
    lineStyle: { width: 1.8, type: s.dashed ? ('dashed' as const) : ('solid' as const) },
  });
  return renderSvg(
    {
      ...baseGrid(),
      grid: { left: 70, right: right.length > 0 ? 70 : 30, top: 50, bottom: 50 },
      xAxis: { type: 'value', name: 'episode', nameLocation: 'middle', nameGap: 28, min: 'dataMin', max: 'dataMax' },
      yAxis,
      series: [...left.map((s) => line(s, 0)), ...right.map((s) => line(s, 1))],
    },
    1000,
    320,
  );
}
