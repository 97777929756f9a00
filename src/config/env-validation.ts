import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';

type EnvClass<T extends object> = new () => T;

/** Raised when the environment does not satisfy the configuration contract. */
export class InvalidEnvironmentError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'InvalidEnvironmentError';
  }
}

/** Empty variables count as unset, so the class's defaults apply to them. */
function withoutEmptyValues(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter(
      (entry): entry is [string, string] =>
        entry[1] !== undefined && entry[1] !== '',
    ),
  );
}

function toInstance<T extends object>(
  envClass: EnvClass<T>,
  env: NodeJS.ProcessEnv,
): T {
  return plainToInstance(envClass, withoutEmptyValues(env), {
    exposeDefaultValues: true,
  });
}

function describeProblems(errors: ValidationError[]): string[] {
  // class-validator's messages already start with the variable's name.
  return errors.flatMap((error) => Object.values(error.constraints ?? {}));
}

/** Problems with the environment for one class, one message per problem. */
export function findEnvProblems<T extends object>(
  envClass: EnvClass<T>,
  env: NodeJS.ProcessEnv,
): string[] {
  const instance = toInstance(envClass, env);
  return describeProblems(
    validateSync(instance, { skipMissingProperties: false }),
  );
}

/**
 * Parses the environment into a typed object, applying the class's defaults.
 * Throws InvalidEnvironmentError naming every offending variable.
 */
export function validated<T extends object>(
  envClass: EnvClass<T>,
  env: NodeJS.ProcessEnv,
): T {
  const problems = findEnvProblems(envClass, env);
  if (problems.length > 0) {
    throw new InvalidEnvironmentError(problems);
  }
  return toInstance(envClass, env);
}
