import type { BinaryNode } from '@whiskeysockets/baileys';
import { displayPairingCode, LinkWindow } from './baileys-link-window';

const pairDevice = (refs: number): BinaryNode => ({
  tag: 'iq',
  attrs: { type: 'set', xmlns: 'md' },
  content: [
    {
      tag: 'pair-device',
      attrs: {},
      content: Array.from({ length: refs }, (_, i) => ({
        tag: 'ref',
        attrs: {},
        content: Buffer.from(`ref-${i}`),
      })),
    },
  ],
});

const AT = Date.parse('2026-11-28T10:00:00.000Z');

describe('LinkWindow', () => {
  it("closes when Baileys' default timing runs out the refs: 60 s, then 20 s per further ref", () => {
    const window = new LinkWindow();
    window.open(pairDevice(6), AT);
    expect(window.closesAt).toEqual(new Date(AT + 60_000 + 5 * 20_000));
  });

  it.each([
    [1, 500, 500],
    [6, 500, 3_000],
  ])(
    'with %i refs and a qrTimeout of %i ms, closes after %i ms',
    (refs, qrTimeout, lifetime) => {
      const window = new LinkWindow(qrTimeout);
      window.open(pairDevice(refs), AT);
      expect(window.closesAt).toEqual(new Date(AT + lifetime));
    },
  );

  it('is not open before the server starts the registration, nor by a pair-device without refs', () => {
    const window = new LinkWindow();
    expect(window.closesAt).toBeUndefined();
    window.open(pairDevice(0), AT);
    expect(window.closesAt).toBeUndefined();
  });
});

describe('displayPairingCode', () => {
  it('shows the 8 characters as WhatsApp does: two groups of four', () => {
    expect(displayPairingCode('ABCD1234')).toBe('ABCD-1234');
  });
});
