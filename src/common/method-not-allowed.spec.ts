import { RouteMethods, routePattern } from './method-not-allowed';

describe('routePattern', () => {
  it.each([
    ['/api/relance/status', '/api/relance/status', true],
    ['/api/relance/status', '/api/relance/status/', false],
    ['/api/relance/status', '/api/relance/statusx', false],
    ['/api/messages/:id', '/api/messages/m_42', true],
    ['/api/messages/:id', '/api/messages/m_42/extra', false],
    ['/api/messages/:id(^\\d+)', '/api/messages/42', true],
    ['/api/docs/*', '/api/docs/swagger-ui.css', true],
    ['/api/docs.json', '/api/docsxjson', false],
  ])('%s matches %s: %s', (template, path, matches) => {
    expect(routePattern(template).test(path)).toBe(matches);
  });
});

describe('RouteMethods', () => {
  it('lists every method served at a path, HEAD included for GET', () => {
    const routes = new RouteMethods();
    routes.add('/api/messages', 'GET');
    routes.add('/api/messages', ['POST']);
    routes.add('/api/messages/:id', ['GET', 'DELETE']);
    expect(routes.allowedAt('/api/messages')).toEqual(['GET', 'HEAD', 'POST']);
    expect(routes.allowedAt('/api/messages/m1')).toEqual([
      'DELETE',
      'GET',
      'HEAD',
    ]);
    expect(routes.allowedAt('/api/nowhere')).toEqual([]);
  });
});
