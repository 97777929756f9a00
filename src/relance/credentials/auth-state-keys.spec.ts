import { parseKeyFileName, storedKeyId } from './auth-state-keys';

describe('auth state key names', () => {
  it.each([
    ['pre-key-12.json', { type: 'pre-key', keyId: '12' }],
    ['session-33600000001.0.json', { type: 'session', keyId: '33600000001.0' }],
    [
      'sender-key-120363@g.us--33600000001--0.json',
      { type: 'sender-key', keyId: '120363@g.us--33600000001--0' },
    ],
    [
      'sender-key-memory-120363@g.us.json',
      { type: 'sender-key-memory', keyId: '120363@g.us' },
    ],
    [
      'app-state-sync-key-AAAA__BB==.json',
      { type: 'app-state-sync-key', keyId: 'AAAA__BB==' },
    ],
    [
      'app-state-sync-version-critical_block.json',
      { type: 'app-state-sync-version', keyId: 'critical_block' },
    ],
    [
      'lid-mapping-336_reverse.json',
      { type: 'lid-mapping', keyId: '336_reverse' },
    ],
    ['identity-key-1234.0.json', { type: 'identity-key', keyId: '1234.0' }],
  ])('reads %s as its type and stored id', (fileName, expected) => {
    expect(parseKeyFileName(fileName)).toEqual(expected);
  });

  it.each([
    'creds.json',
    'pre-key-.json',
    'unknown-1.json',
    'pre-key-1.txt',
    '.DS_Store',
  ])('is not fooled by %s', (fileName) => {
    expect(parseKeyFileName(fileName)).toBeUndefined();
  });

  it('stores an id under the name the multi-file store gives its file', () => {
    expect(storedKeyId('120363@g.us::33600000001::0')).toBe(
      '120363@g.us--33600000001--0',
    );
    expect(storedKeyId('AAAA/BB==')).toBe('AAAA__BB==');
    expect(storedKeyId('33600000001.0')).toBe('33600000001.0');
  });
});
