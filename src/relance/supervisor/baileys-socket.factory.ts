import { Fence } from '../../cluster/ownership/fence';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import makeWASocket, {
  type BinaryNode,
  ConnectionState,
} from '@whiskeysockets/baileys';
import { whatsappConfig } from '../../config/whatsapp.config';
import { logLine } from '../../logging/log-line';
import { displayPairingCode, LinkWindow } from './baileys-link-window';
import { BaileysLoggerBridge } from './baileys-logger';
import { routeMessageEvents } from './baileys-message-events';
import { SessionCredentialStore } from '../credentials/session-credential-store';
import {
  SocketHandlers,
  WhatsAppSocket,
  WhatsAppSocketFactory,
} from './whatsapp-socket';

interface BoomLike {
  output?: { statusCode?: number };
  message?: string;
}

function routeConnectionUpdate(
  update: Partial<ConnectionState>,
  handlers: SocketHandlers,
): void {
  if (update.qr) handlers.onQr(update.qr);
  if (update.isNewLogin) handlers.onPaired();
  if (update.connection === 'open') handlers.onOpen();
  if (update.connection === 'close') {
    const error = update.lastDisconnect?.error as BoomLike | undefined;
    handlers.onClose({
      code: error?.output?.statusCode,
      message: error?.message,
    });
  }
}

/**
 * Production socket: Baileys on the user's stored auth state (whichever
 * SessionCredentialStore is bound), the bundled protocol version (no network
 * version lookup) and credentials saved on every update.
 */
@Injectable()
export class BaileysSocketFactory extends WhatsAppSocketFactory {
  private readonly logger = new Logger(BaileysSocketFactory.name);

  constructor(
    private readonly credentials: SessionCredentialStore,
    @Inject(whatsappConfig.KEY)
    private readonly config: ConfigType<typeof whatsappConfig>,
  ) {
    super();
  }

  async create(
    userId: string,
    handlers: SocketHandlers,
    fence?: Fence,
  ): Promise<WhatsAppSocket> {
    const { state, saveCreds } = await this.credentials.authStateFor(
      userId,
      fence,
    );
    const sock = makeWASocket({
      auth: state,
      logger: new BaileysLoggerBridge(this.logger, userId),
      markOnlineOnConnect: false,
      syncFullHistory: false,
      ...(this.config.wsUrl ? { waWebSocketUrl: this.config.wsUrl } : {}),
      ...(this.config.qrTimeoutMs
        ? { qrTimeout: this.config.qrTimeoutMs }
        : {}),
    });
    const linkWindow = new LinkWindow(this.config.qrTimeoutMs);
    sock.ws.on('CB:iq,type:set,pair-device', (node: BinaryNode) =>
      linkWindow.open(node),
    );
    sock.ev.on('creds.update', () => {
      // Stored credentials mean "linked" to the whole service (restore,
      // sessionStored, reconnects). A link attempt has nothing worth keeping:
      // a pairing-code request even writes creds.me before the phone agreed.
      // pair-success sets creds.account, and the first save writes it all.
      if (!state.creds.account) return;
      saveCreds().catch((error: unknown) =>
        this.logger.error(
          logLine(
            `Could not save credentials for user ${userId}: ${(error as Error).message}`,
            { userId },
          ),
        ),
      );
    });
    sock.ev.on('connection.update', (update) =>
      routeConnectionUpdate(update, handlers),
    );
    routeMessageEvents(sock, handlers, (error) =>
      this.logger.warn(
        logLine(
          `Could not read an incoming message's sender for user ${userId}: ${(error as Error).message}`,
          { userId },
        ),
      ),
    );
    return {
      end: () => {
        sock
          .end(undefined)
          .catch((error: unknown) =>
            this.logger.warn(
              logLine(
                `Ending the socket of user ${userId} failed: ${(error as Error).message}`,
                { userId },
              ),
            ),
          );
      },
      logout: () => sock.logout(),
      sendText: async (to, text, messageId) => {
        await sock.sendMessage(`${to}@s.whatsapp.net`, { text }, { messageId });
      },
      isOnWhatsApp: async (phone) => {
        const [found] = (await sock.onWhatsApp(phone)) ?? [];
        return found?.exists === true;
      },
      requestPairingCode: async (phone) => {
        const expiresAt = linkWindow.closesAt;
        // Baileys' own rule: only on a registering socket that has shown a QR and is not registered yet.
        if (!expiresAt || state.creds.registered || state.creds.account) {
          throw new Error(
            'This connection cannot issue a pairing code: it is linked, or not showing a QR',
          );
        }
        return {
          code: displayPairingCode(await sock.requestPairingCode(phone)),
          expiresAt,
        };
      },
    };
  }
}
