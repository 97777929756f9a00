export interface SseMessage {
  /** The `event:` field; "message" when the server sent none. */
  event: string;
  /** The `data:` lines, joined by newlines. */
  data: string;
}

/**
 * Incremental text/event-stream parser (the WHATWG "event stream
 * interpretation": fields, comments, CR/LF/CRLF line ends). Written here
 * because the page loads no third-party code: EventSource would parse this
 * itself but cannot send an Authorization header. `id` and `retry` are
 * ignored: the page resumes from a fresh snapshot, not from an event id.
 */
export class SseParser {
  private pending = '';
  private event = '';
  private data: string[] = [];

  /** Feeds a decoded chunk; returns the messages it completed. */
  push(chunk: string): SseMessage[] {
    this.pending += chunk;
    const messages: SseMessage[] = [];
    for (;;) {
      const end = this.pending.search(/\r\n|\r|\n/);
      // A lone trailing CR may be the first half of a CRLF still in flight.
      if (
        end === -1 ||
        (end === this.pending.length - 1 && this.pending.endsWith('\r'))
      )
        break;
      const line = this.pending.slice(0, end);
      const breakLength = this.pending.startsWith('\r\n', end) ? 2 : 1;
      this.pending = this.pending.slice(end + breakLength);
      const message = this.line(line);
      if (message) messages.push(message);
    }
    return messages;
  }

  private line(line: string): SseMessage | undefined {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.event = value;
    else if (field === 'data') this.data.push(value);
    return undefined;
  }

  private dispatch(): SseMessage | undefined {
    const message =
      this.data.length > 0
        ? { event: this.event || 'message', data: this.data.join('\n') }
        : undefined;
    this.event = '';
    this.data = [];
    return message;
  }
}
