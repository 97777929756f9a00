import { request, ClientRequest, IncomingHttpHeaders } from 'node:http';

export interface StreamEvent {
  type: string;
  data: unknown;
}

export interface SseClient {
  statusCode: number;
  contentType: string | undefined;
  headers: IncomingHttpHeaders;
  events: StreamEvent[];
  /** Drops the connection, as a closed browser tab would. */
  close(): void;
}

function parseBlock(block: string): StreamEvent | undefined {
  let type = 'message';
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith('event: ')) type = line.slice(7);
    else if (line.startsWith('data: ')) data.push(line.slice(6));
  }
  if (data.length === 0) return undefined;
  const text = data.join('\n');
  try {
    return { type, data: JSON.parse(text) as unknown };
  } catch {
    return { type, data: text };
  }
}

/** Opens GET `path` as an event stream and collects its events; resolves once the headers arrive. */
export function openEventStream(
  baseUrl: string,
  path: string,
  headers: Record<string, string>,
): Promise<SseClient> {
  return new Promise((resolve, reject) => {
    let req: ClientRequest | undefined = undefined;
    req = request(
      new URL(path, baseUrl),
      { headers: { Accept: 'text/event-stream', ...headers }, agent: false },
      (res) => {
        const client: SseClient = {
          statusCode: res.statusCode ?? 0,
          contentType: res.headers['content-type'],
          headers: res.headers,
          events: [],
          close: () => req?.destroy(),
        };
        let buffer = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffer += chunk;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const event = parseBlock(buffer.slice(0, end));
            buffer = buffer.slice(end + 2);
            if (event) client.events.push(event);
          }
        });
        res.on('error', () => undefined);
        resolve(client);
      },
    );
    req.on('error', (error) => {
      if (!req?.destroyed) reject(error);
    });
    req.end();
  });
}
