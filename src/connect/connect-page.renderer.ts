import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connectPageConfig } from '../config/connect-page.config';
import { sseConfig } from '../config/sse.config';
import { ConnectPageFiles } from './connect-page-files';

export const CONNECT_PAGE_TEMPLATE = 'connect.html';

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** The five characters that matter in text and quoted attributes; no templating library needed for two values. */
function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => HTML_ESCAPES[character]);
}

/**
 * The page's HTML, built once at boot from the template: the configured title
 * and the live stream's heartbeat interval (so the browser can tell a silent,
 * dead stream from a quiet one) are the only values filled in.
 */
@Injectable()
export class ConnectPageRenderer implements OnModuleInit {
  private html?: string;

  constructor(
    private readonly files: ConnectPageFiles,
    @Inject(connectPageConfig.KEY)
    private readonly config: ConfigType<typeof connectPageConfig>,
    @Inject(sseConfig.KEY)
    private readonly sse: ConfigType<typeof sseConfig>,
  ) {}

  async onModuleInit(): Promise<void> {
    if (!this.config.enabled) return;
    const template = await readFile(
      join(this.files.staticDir, CONNECT_PAGE_TEMPLATE),
      'utf8',
    );
    const values: Record<string, string> = {
      title: escapeHtml(this.config.title),
      heartbeatMs: String(this.sse.heartbeatMs),
    };
    this.html = template.replace(
      /\{\{(\w+)\}\}/g,
      (placeholder, name: string) => values[name] ?? placeholder,
    );
  }

  /** The page, or undefined when CONNECT_PAGE_ENABLED is false. */
  page(): string | undefined {
    return this.html;
  }
}
