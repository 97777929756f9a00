export const WHATSAPP_STATUSES = [
  'connected',
  'connecting',
  'awaiting_qr',
  /** A pairing code was issued; the user types it on the phone instead of scanning a QR. */
  'awaiting_pairing',
  'disconnected',
] as const;

export type WhatsAppStatus = (typeof WHATSAPP_STATUSES)[number];
