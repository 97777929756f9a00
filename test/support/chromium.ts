import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Debian's chromium: the browser tests drive it through playwright-core and never download one. */
export const CHROMIUM = '/usr/bin/chromium';

const INSTALL_COMMAND = 'sudo apt-get install -y chromium';

function run(command: string, args: string[]): void {
  console.log(`[chromium] ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} failed (exit ${result.status}); install chromium by hand: ${INSTALL_COMMAND}`,
    );
  }
}

/**
 * The browser for the browser tests. When it is missing and this runs as
 * root with apt (a CI container), it installs Debian's `chromium` package,
 * the way `playwright install --with-deps` provisions system packages;
 * otherwise it fails with the command to run.
 */
export function ensureChromium(): string {
  if (existsSync(CHROMIUM)) return CHROMIUM;
  const root = process.getuid?.() === 0;
  if (!root || !existsSync('/usr/bin/apt-get')) {
    throw new Error(
      `${CHROMIUM} is missing: install Debian's chromium with \`${INSTALL_COMMAND}\` (the browser tests never download a browser).`,
    );
  }
  console.log(
    `[chromium] ${CHROMIUM} is missing: installing Debian's chromium package for the browser tests`,
  );
  run('apt-get', ['update']);
  run('apt-get', ['install', '-y', '--no-install-recommends', 'chromium']);
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `apt-get installed chromium but ${CHROMIUM} is still missing; install it by hand: ${INSTALL_COMMAND}`,
    );
  }
  return CHROMIUM;
}

/** The flags every browser test launches Debian's chromium with (headless, no background traffic). */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
