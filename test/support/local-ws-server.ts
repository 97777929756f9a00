import { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';

/** A WebSocket server on 127.0.0.1 that closes every connection at once (Baileys sees 428). */
export class ClosingWsServer {
  connections = 0;

  private constructor(private readonly server: WebSocketServer) {
    server.on('connection', (socket) => {
      this.connections += 1;
      socket.close();
    });
  }

  static async start(port = 0): Promise<ClosingWsServer> {
    const server = new WebSocketServer({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
    return new ClosingWsServer(server);
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    for (const client of this.server.clients) client.terminate();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
