import {
  describeMongoUri,
  redactCredentials,
  withDefaultDatabase,
} from './mongo-uri';

describe('describeMongoUri', () => {
  it.each([
    ['mongodb://127.0.0.1:27017/relance', 'mongodb://127.0.0.1:27017/relance'],
    [
      'mongodb://alice:s3cr%40t@db.internal:27017/relance?authSource=admin',
      'mongodb://db.internal:27017/relance',
    ],
    [
      'mongodb+srv://user:pw@cluster0.example.net/app?retryWrites=true',
      'mongodb+srv://cluster0.example.net/app',
    ],
    ['mongodb://u:p@a:1,b:2,c:3/db', 'mongodb://a:1,b:2,c:3/db'],
    ['mongodb://127.0.0.1:27017/', 'mongodb://127.0.0.1:27017'],
    ['mongodb://127.0.0.1:27017', 'mongodb://127.0.0.1:27017'],
  ])('shows %s as %s, without credentials or query', (uri, shown) => {
    expect(describeMongoUri(uri)).toBe(shown);
  });
});

describe('withDefaultDatabase', () => {
  it.each([
    ['mongodb://127.0.0.1:1/', 'mongodb://127.0.0.1:1/relance'],
    ['mongodb://127.0.0.1:1', 'mongodb://127.0.0.1:1/relance'],
    ['mongodb://h:1/?tls=true', 'mongodb://h:1/relance?tls=true'],
    ['mongodb://h:1/mine?tls=true', 'mongodb://h:1/mine?tls=true'],
  ])('gives %s the database name relance: %s', (uri, expected) => {
    expect(withDefaultDatabase(uri, 'relance')).toBe(expected);
  });
});

describe('redactCredentials', () => {
  it('hides the password a driver message repeats, raw or decoded', () => {
    expect(
      redactCredentials(
        'Authentication failed for alice:hunt@r2 (hunt%40r2) at db:27017',
        'mongodb://alice:hunt%40r2@db:27017/relance',
      ),
    ).toBe('Authentication failed for alice:*** (***) at db:27017');
  });

  it('leaves messages alone when the URI has no credentials', () => {
    expect(redactCredentials('connect ECONNREFUSED', 'mongodb://db/x')).toBe(
      'connect ECONNREFUSED',
    );
  });
});
