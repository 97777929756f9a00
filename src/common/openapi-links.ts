import type { Type } from '@nestjs/common';
import type { LinkObject } from '@nestjs/swagger';

/** The operationId of a controller method in /api/docs-json (app.setup.ts uses the same rule). */
export function operationIdOf(
  controllerKey: string,
  methodKey: string,
): string {
  return `${controllerKey}_${methodKey}`;
}

/**
 * An OpenAPI link from a documented response to another operation, for
 * clients and for Schemathesis' stateful phase, which follows links to chain
 * calls. Pass it in the response's `links`:
 *
 *   @ApiOkResponse({ type: X, links: { status: linkTo(RelanceController, 'getStatus', 'Why') } })
 *
 * For a link that carries an id from the response body to a route parameter
 * (a created resource, then GET or DELETE it), @nestjs/swagger's own
 * `@ApiLink({ from: ResponseDto, fromField: 'id', routeParam: 'id' })` on the
 * target route does it.
 */
export function linkTo<T>(
  controller: Type<T>,
  method: keyof T & string,
  description: string,
  extra: Pick<LinkObject, 'parameters' | 'requestBody'> = {},
): LinkObject {
  return {
    operationId: operationIdOf(controller.name, method),
    description,
    ...extra,
  };
}
