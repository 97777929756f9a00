import { MessageResponseDto } from './dto/message-response.dto';
import { StoredMessage } from './relance-message.repository';

export function toMessageResponse(message: StoredMessage): MessageResponseDto {
  return {
    id: message._id,
    to: message.to,
    text: message.text,
    status: message.status,
    attempts: message.attempts,
    whatsappMessageId: message.whatsappMessageId,
    createdAt: message.createdAt,
    sendAt: message.sendAt ?? null,
    sentAt: message.sentAt ?? null,
    deliveredAt: message.deliveredAt ?? null,
    readAt: message.readAt ?? null,
    expiresAt: message.expiresAt,
    error: message.error
      ? { code: message.error.code, reason: message.error.reason }
      : null,
  };
}
