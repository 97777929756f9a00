import { listeningLine } from './listening-line';

const FACTS = {
  host: '0.0.0.0',
  port: 3000,
  hasConnectPage: false,
  database: 'mongodb://db.internal:27017/relance',
  credentialStore: 'in files under ./sessions',
};

describe('listeningLine', () => {
  it('names the address, the API, docs and health URLs, the database and the credential store', () => {
    expect(listeningLine(FACTS)).toBe(
      'Listening on 0.0.0.0:3000: API http://localhost:3000/api, docs http://localhost:3000/api/docs, health http://localhost:3000/api/health; database mongodb://db.internal:27017/relance; WhatsApp credentials in files under ./sessions',
    );
  });

  it('adds the connect page when its route exists', () => {
    expect(listeningLine({ ...FACTS, hasConnectPage: true })).toContain(
      ', connect page http://localhost:3000/connect;',
    );
  });

  it('uses the host itself in URLs when it is a single address, brackets for IPv6', () => {
    expect(listeningLine({ ...FACTS, host: '127.0.0.1' })).toContain(
      'Listening on 127.0.0.1:3000: API http://127.0.0.1:3000/api',
    );
    expect(listeningLine({ ...FACTS, host: '::1', port: 8080 })).toContain(
      'Listening on [::1]:8080: API http://[::1]:8080/api',
    );
  });
});
