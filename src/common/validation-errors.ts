import { BadRequestException, ValidationError } from '@nestjs/common';

/** Names we may repeat back: an identifier, short. Anything else is the caller's payload. */
const SAFE_PROPERTY_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,39}$/;

function unknownPropertyMessage(property: string): string {
  return SAFE_PROPERTY_NAME.test(property)
    ? `property ${property} should not exist`
    : 'a property with an invalid name should not exist';
}

function messagesOf(error: ValidationError): string[] {
  const own = Object.entries(error.constraints ?? {}).map(([name, message]) =>
    // forbidNonWhitelisted's message embeds the unknown key verbatim.
    name === 'whitelistValidation'
      ? unknownPropertyMessage(error.property)
      : message,
  );
  return [...own, ...(error.children ?? []).flatMap(messagesOf)];
}

/**
 * ValidationPipe's exceptionFactory: the usual list of messages naming each
 * field, except that an unknown key is only repeated when it is a plain
 * identifier, so a response never reflects arbitrary request content.
 */
export function validationException(
  errors: ValidationError[],
): BadRequestException {
  return new BadRequestException(errors.flatMap(messagesOf));
}
