/**
 * A MongoDB URI fit for a log line: scheme, hosts and database, without the
 * credentials or the query string (which may hold secrets too). Hand-written
 * because WHATWG URL cannot parse multi-host URIs (`mongodb://a:1,b:2/db`)
 * and the driver's parser is not a dependency of ours.
 */
export function describeMongoUri(uri: string): string {
  const match = /^(mongodb(?:\+srv)?:\/\/)(?:[^@/?]*@)?([^/?]*)(\/[^?]*)?/.exec(
    uri,
  );
  if (!match) return '(unparsable MongoDB URI)';
  const [, scheme, hosts, path = ''] = match;
  return `${scheme}${hosts}${path === '/' ? '' : path}`;
}

/** The URI with a database name: `base`'s own if it names one, else `name`. */
export function withDefaultDatabase(uri: string, name: string): string {
  const match = /^(mongodb(?:\+srv)?:\/\/[^/?]*)(\/[^?]*)?(\?.*)?$/.exec(uri);
  if (!match) return uri;
  const [, authority, path, query = ''] = match;
  return path && path !== '/' ? uri : `${authority}/${name}${query}`;
}

/** Hides the URI's password wherever a driver message repeats it. */
export function redactCredentials(text: string, uri: string): string {
  const password = /^mongodb(?:\+srv)?:\/\/[^:@/?]*:([^@/?]+)@/.exec(uri)?.[1];
  if (!password) return text;
  return [password, safeDecode(password)].reduce(
    (redacted, secret) => redacted.split(secret).join('***'),
    text,
  );
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    // Not percent-encoded after all: the raw form is already covered.
    return text;
  }
}
