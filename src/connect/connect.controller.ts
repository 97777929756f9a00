import { Controller, Get, NotFoundException, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '../auth/public.decorator';
import { ConnectPageRenderer } from './connect-page.renderer';

export const CONNECT_PATH = 'connect';

/**
 * GET /connect: the page where a user links WhatsApp. Public, because a
 * browser cannot send a bearer token when it opens a link: the page reads the
 * token from the URL fragment and every API call it makes carries it.
 */
@ApiExcludeController()
@Public()
@Controller(CONNECT_PATH)
export class ConnectController {
  constructor(private readonly renderer: ConnectPageRenderer) {}

  @Get()
  page(@Res({ passthrough: true }) reply: FastifyReply): string {
    const html = this.renderer.page();
    if (html === undefined) {
      throw new NotFoundException('Cannot GET /connect');
    }
    // Set here rather than with @Header: a 404 must keep its JSON content type.
    void reply
      .header('content-type', 'text/html; charset=utf-8')
      .header('cache-control', 'no-store');
    return html;
  }
}
