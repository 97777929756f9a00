/**
 * The plaintext inside an <enc>: a padded proto.Message (lib/Utils/generics.js encodeWAMessage /
 * unpadRandomMax16). The simulator only reads text; other content is reported as having no text.
 */
import {
  encodeWAMessage,
  proto,
  unpadRandomMax16,
} from '@whiskeysockets/baileys';

export interface DecodedContent {
  /** The text of a conversation or extendedTextMessage, undefined for anything else. */
  readonly text: string | undefined;
  /** A copy the sender's own device made for its other devices (deviceSentMessage). */
  readonly deviceSent: boolean;
}

export const encodeText = (text: string): Buffer =>
  encodeWAMessage({ conversation: text });

export const decodeContent = (padded: Uint8Array): DecodedContent => {
  const message = proto.Message.decode(unpadRandomMax16(padded));
  const inner = message.deviceSentMessage?.message ?? message;
  return {
    text: inner.conversation ?? inner.extendedTextMessage?.text ?? undefined,
    deviceSent: Boolean(message.deviceSentMessage),
  };
};
