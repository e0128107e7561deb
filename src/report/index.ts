/** `alphasage report`: one self-contained HTML file (SVG charts rendered by echarts) for a run or a combine folder. */
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';
import { gatherReportInputs, type ReportInputs } from './gather.js';
import { buildReportHtml } from './html.js';

export * from './charts.js';
export * from './gather.js';
export * from './html.js';

/** Gathers a folder's results and writes the report; returns its path and what went in. */
export function writeReport(dirOrRun: string, out?: string): { path: string; inputs: ReportInputs; bytes: number } {
  const inputs = gatherReportInputs(dirOrRun);
  const html = buildReportHtml(inputs);
  const path = out ?? join(inputs.dir, 'report.html');
  writeFileAtomic(path, html);
  return { path, inputs, bytes: Buffer.byteLength(html) };
}
