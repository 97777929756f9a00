import { Injectable } from '@nestjs/common';
import { toDataURL } from 'qrcode';

/** Renders the raw QR string as a PNG data URL a browser can show directly. */
@Injectable()
export class QrImageRenderer {
  render(qr: string): Promise<string> {
    return toDataURL(qr, {
      type: 'image/png',
      errorCorrectionLevel: 'M',
      margin: 2,
      scale: 6,
    });
  }
}
