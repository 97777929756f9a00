import { Transform } from 'class-transformer';

/** Reads an integer variable; anything that is not a plain integer stays a string so validation rejects it. */
export function ToInteger(): PropertyDecorator {
  return Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' && /^-?\d+$/.test(value.trim())
      ? Number(value)
      : value,
  );
}

/** Reads a comma-separated list of integers, e.g. `401,403,411,500`. */
export function ToIntegerList(): PropertyDecorator {
  return Transform(({ value }: { value: unknown }) => {
    if (typeof value !== 'string') {
      return value;
    }
    const parts = value.split(',').map((part) => part.trim());
    return parts.every((part) => /^\d+$/.test(part))
      ? parts.map(Number)
      : value;
  });
}

/** Reads a comma-separated list of strings, e.g. `10.0.0.5, ::1`; blank entries are dropped. */
export function ToStringList(): PropertyDecorator {
  return Transform(({ value }: { value: unknown }) =>
    typeof value === 'string'
      ? value
          .split(',')
          .map((part) => part.trim())
          .filter((part) => part !== '')
      : value,
  );
}
