import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';

/** International form: country code first (never 0), 7 to 15 digits in all, an optional leading +. */
export const PAIRING_PHONE_PATTERN = /^\+?[1-9][0-9]{6,14}$/;
export const PAIRING_PHONE_MESSAGE =
  'phoneNumber must be the WhatsApp number in international form: 7 to 15 digits starting with the country code, an optional leading +, no spaces';

export class PairingCodeRequestDto {
  @ApiProperty({
    description:
      'The number of the phone that runs WhatsApp (the account to link), in international form; WhatsApp sends that phone a notification to enter the code',
    example: '+33612345678',
    pattern: PAIRING_PHONE_PATTERN.source,
  })
  @IsString({ message: 'phoneNumber must be a string' })
  @Matches(PAIRING_PHONE_PATTERN, { message: PAIRING_PHONE_MESSAGE })
  phoneNumber: string;
}

/** The digits WhatsApp expects (Baileys' requestPairingCode): no leading +. */
export function phoneDigitsOf(request: PairingCodeRequestDto): string {
  return request.phoneNumber.replace(/^\+/, '');
}
