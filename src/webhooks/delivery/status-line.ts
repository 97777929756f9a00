/** The longest status line stored or logged for an attempt. */
export const MAX_STATUS_LINE = 120;

/** Printable ASCII only, capped: a receiver's reason phrase is the one thing of its response we keep. */
export function capStatusLine(line: string): string {
  const printable = line.replace(/[^\x20-\x7e]/g, '?').trim();
  return printable.length > MAX_STATUS_LINE
    ? `${printable.slice(0, MAX_STATUS_LINE - 1)}…`
    : printable;
}
