/** Which jids a simulated phone's own stanzas carry, per its addressing (see ContactAddressing). */
import { lidJidOf, phoneJidOf, type PhoneAccount } from '../phone-directory';

/** The jid its messages and receipts come from. */
export const addressedJid = (account: PhoneAccount): string =>
  account.addressing === 'lid' ? lidJidOf(account) : phoneJidOf(account.user);

/** The other jid, sent alongside (sender_lid or sender_pn). */
export const alternateJid = (account: PhoneAccount): string =>
  account.addressing === 'lid' ? phoneJidOf(account.user) : lidJidOf(account);
