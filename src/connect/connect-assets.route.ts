import fastifyStatic from '@fastify/static';
import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { connectPageConfig } from '../config/connect-page.config';
import { ConnectPageFiles } from './connect-page-files';

export const CONNECT_ASSETS_PREFIX = '/connect/assets/';

/** Only the page's stylesheet, icon and browser modules: not the template, declarations or source maps. */
const SERVED_ASSET = /^\/[\w-]+\.(?:css|mjs|svg)$/;

/**
 * Serves /connect/assets/* with @fastify/static (ETag, Last-Modified, 304s,
 * no path traversal). Assets keep their names across releases, so browsers
 * revalidate them on every load (max-age 0) instead of running stale code.
 *
 * configureApp registers it before Nest's own routes: a plugin registered
 * later (in onModuleInit) left body-parse errors (invalid JSON) to Fastify's
 * default handler instead of the JSON error envelope.
 */
@Injectable()
export class ConnectAssetsRoute {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly files: ConnectPageFiles,
    @Inject(connectPageConfig.KEY)
    private readonly config: ConfigType<typeof connectPageConfig>,
  ) {}

  async register(): Promise<void> {
    // An application context (scripts, benchmarks) has no HTTP server.
    if (!this.config.enabled || !this.adapterHost.httpAdapter) return;
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    await fastify.register(fastifyStatic, {
      root: [this.files.staticDir, this.files.scriptsDir],
      prefix: CONNECT_ASSETS_PREFIX,
      decorateReply: false,
      index: false,
      dotfiles: 'deny',
      maxAge: 0,
      allowedPath: (path) => SERVED_ASSET.test(path),
    });
  }
}
