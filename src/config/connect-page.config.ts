import { registerAs } from '@nestjs/config';
import { Transform } from 'class-transformer';
import { IsBoolean, IsString, Matches, MaxLength } from 'class-validator';
import { validated } from './env-validation';

/** Reads `true`/`false` (any case); anything else stays a string so validation rejects it. */
function ToBoolean(): PropertyDecorator {
  return Transform(({ value }: { value: unknown }) => {
    if (typeof value !== 'string') return value;
    const normalized = value.trim().toLowerCase();
    if (normalized === 'true') return true;
    if (normalized === 'false') return false;
    return value;
  });
}

export class ConnectPageEnv {
  @ToBoolean()
  @IsBoolean({ message: 'CONNECT_PAGE_ENABLED must be true or false' })
  CONNECT_PAGE_ENABLED: boolean = true;

  @IsString()
  @Matches(/\S/, { message: 'CONNECT_PAGE_TITLE must not be blank' })
  @MaxLength(80, {
    message: 'CONNECT_PAGE_TITLE must be at most 80 characters',
  })
  CONNECT_PAGE_TITLE: string = 'Link WhatsApp';
}

export function loadConnectPageConfig(env: NodeJS.ProcessEnv) {
  const parsed = validated(ConnectPageEnv, env);
  return {
    enabled: parsed.CONNECT_PAGE_ENABLED,
    title: parsed.CONNECT_PAGE_TITLE.trim(),
  };
}

/** The browser page at GET /connect where a user links WhatsApp. */
export const connectPageConfig = registerAs('connectPage', () =>
  loadConnectPageConfig(process.env),
);

export type ConnectPageConfig = ReturnType<typeof loadConnectPageConfig>;
