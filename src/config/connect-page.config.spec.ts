import { loadConnectPageConfig } from './connect-page.config';
import { findEnvironmentProblems } from './environment';

const VALID_SECRET = 'x'.repeat(32);

describe('connect page configuration', () => {
  it('is enabled with a default title when nothing is set', () => {
    expect(loadConnectPageConfig({})).toEqual({
      enabled: true,
      title: 'Link WhatsApp',
    });
  });

  it.each([
    ['false', false],
    ['FALSE', false],
    ['true', true],
    [' True ', true],
  ])('reads CONNECT_PAGE_ENABLED=%j as %s', (value, enabled) => {
    expect(loadConnectPageConfig({ CONNECT_PAGE_ENABLED: value }).enabled).toBe(
      enabled,
    );
  });

  it('uses CONNECT_PAGE_TITLE, trimmed', () => {
    expect(
      loadConnectPageConfig({ CONNECT_PAGE_TITLE: '  Acme: link WhatsApp ' })
        .title,
    ).toBe('Acme: link WhatsApp');
  });

  it.each([
    [
      { CONNECT_PAGE_ENABLED: 'yes' },
      'CONNECT_PAGE_ENABLED must be true or false',
    ],
    [
      { CONNECT_PAGE_ENABLED: '1' },
      'CONNECT_PAGE_ENABLED must be true or false',
    ],
    [{ CONNECT_PAGE_TITLE: '   ' }, 'CONNECT_PAGE_TITLE must not be blank'],
    [
      { CONNECT_PAGE_TITLE: 'x'.repeat(81) },
      'CONNECT_PAGE_TITLE must be at most 80 characters',
    ],
  ])('refuses %j at boot, naming the variable', (env, problem) => {
    expect(
      findEnvironmentProblems({ JWT_SECRET: VALID_SECRET, ...env }),
    ).toEqual([problem]);
  });
});
