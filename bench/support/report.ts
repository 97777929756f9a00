/** One line of the final table. Every figure is a ratio against a same-run baseline, or a count. */
export interface BenchRow {
  benchmark: string;
  figure: string;
  /** What the service did. */
  measured: number;
  /** The same-run reference it is compared with, when there is one. */
  baseline?: number;
  /** measured ÷ baseline (so > 1 means "more than the baseline"). */
  ratio?: number;
  unit?: string;
  note?: string;
}

/** What each benchmark process hands back to the runner. */
export interface BenchResult {
  rows: BenchRow[];
  details: Record<string, unknown>;
}

export function ratioRow(
  row: Omit<BenchRow, 'ratio'> & { baseline: number },
): BenchRow {
  return {
    ...row,
    ratio: row.baseline === 0 ? Number.NaN : row.measured / row.baseline,
  };
}

function formatNumber(value: number | undefined): string {
  if (value === undefined) return '';
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  const magnitude = Math.abs(value);
  const digits =
    magnitude >= 100 ? 0 : magnitude >= 10 ? 1 : magnitude >= 1 ? 2 : 3;
  return value.toLocaleString('en-US', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

function withUnit(value: number | undefined, unit?: string): string {
  const text = formatNumber(value);
  return text && unit ? `${text} ${unit}` : text;
}

const HEADERS = [
  'Benchmark',
  'Figure',
  'Measured',
  'Baseline',
  'Ratio',
  'Note',
];

export function tableCells(rows: BenchRow[]): string[][] {
  return rows.map((row) => [
    row.benchmark,
    row.figure,
    withUnit(row.measured, row.unit),
    withUnit(row.baseline, row.unit),
    row.ratio === undefined ? '' : `${row.ratio.toFixed(2)}×`,
    row.note ?? '',
  ]);
}

/** A Markdown table, readable as plain text too. */
export function formatTable(rows: BenchRow[]): string {
  const cells = [HEADERS, ...tableCells(rows)];
  const widths = HEADERS.map((_, column) =>
    Math.max(...cells.map((line) => line[column].length)),
  );
  const line = (values: string[]) =>
    `| ${values.map((value, i) => value.padEnd(widths[i])).join(' | ')} |`;
  return [
    line(HEADERS),
    `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`,
    ...cells.slice(1).map(line),
  ].join('\n');
}
