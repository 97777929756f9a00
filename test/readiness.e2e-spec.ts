import { createServer, Server, Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { SessionRestoreService } from '../src/relance/restore/session-restore.service';
import { plantBaileysCredentials } from './support/baileys-credentials';
import { createTestApp, makeSessionsDir, TestApp } from './support/test-app';
import { stopTestDatabase } from './support/test-database';
import { waitUntil } from './support/wait';

const STORED_SESSIONS = 25;

/** A WhatsApp edge that accepts connections and never says a word (not even the WebSocket upgrade). */
class SilentEdge {
  readonly sockets = new Set<Socket>();

  private constructor(private readonly server: Server) {
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  static async start(): Promise<SilentEdge> {
    const server = createServer();
    await new Promise<void>((resolve) =>
      server.listen(0, '127.0.0.1', resolve),
    );
    return new SilentEdge(server);
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.server.address() as AddressInfo).port}/ws/chat`;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

describe('readiness does not wait for the boot restore (e2e)', () => {
  let edge: SilentEdge;
  let testApp: TestApp;

  beforeAll(async () => {
    edge = await SilentEdge.start();
    const sessionsDir = await makeSessionsDir();
    for (let user = 0; user < STORED_SESSIONS; user += 1) {
      await plantBaileysCredentials(sessionsDir, `stored_${user}`);
    }
    // The production Baileys factory, pointed at an edge that never answers:
    // every restore stays in flight for the whole test.
    testApp = await createTestApp({
      sessionsDir,
      env: {
        WHATSAPP_WS_URL: edge.url,
        WHATSAPP_RESTORE_JITTER_MS: '1',
        WHATSAPP_RESTORE_TIMEOUT_MS: '600000',
        WHATSAPP_RECONNECT_BASE_MS: '600000',
        WHATSAPP_RECONNECT_MAX_MS: '600000',
      },
    });
  });

  afterAll(async () => {
    // With the edge gone every connection fails at once, so each restore
    // ends (rather than waiting out its 10-minute timeout) before the app closes.
    await edge?.close();
    await testApp?.app.get(SessionRestoreService).whenFinished();
    await testApp?.close();
    await stopTestDatabase();
  });

  it('answers 200 on /api/health and /api/health/ready while stored sessions are still being restored, with the progress as information', async () => {
    const http = () => request(testApp.app.getHttpServer());
    await waitUntil(() => edge.sockets.size > 0, {
      what: 'the restore to start connecting stored sessions',
    });

    for (const path of ['/api/health', '/api/health/ready']) {
      const response = await http().get(path).expect(200);
      expect(response.body).toMatchObject({
        status: 'ok',
        info: {
          mongodb: { status: 'up' },
          sessionsDir: { status: 'up' },
          restore: { status: 'up', running: true, total: STORED_SESSIONS },
        },
      });
      const { done } = (
        response.body as { info: { restore: { done: number } } }
      ).info.restore;
      expect(done).toBeLessThan(STORED_SESSIONS);
    }
  });
});
