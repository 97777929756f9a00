export const WHATSAPP_STATUSES = [
  'connected',
  'connecting',
  'awaiting_qr',
  'disconnected',
] as const;

export type WhatsAppStatus = (typeof WHATSAPP_STATUSES)[number];
