/** How a device was linked: a scanned QR code, or a pairing code typed on the phone. */
export const LINK_METHODS = ['qr', 'code'] as const;

export type LinkMethod = (typeof LINK_METHODS)[number];
