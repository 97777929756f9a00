import {
  RelanceConfigRepository,
  StoredRelanceConfig,
} from '../../src/relance/relance-config.repository';

/**
 * Session persistence with no I/O, for benchmarks that measure the process
 * (memory, sockets), not the database: every write resolves at once,
 * findRestorable keeps all users, markConnecting answers a fresh document (a
 * socket start reads the stored count from it), reads find nothing.
 */
export function stubRepository(): RelanceConfigRepository {
  const fresh = (userId: string): StoredRelanceConfig => ({
    userId,
    whatsappStatus: 'connecting',
    connectionFailureCount: 0,
    disconnectedByUser: false,
  });
  return new Proxy({} as RelanceConfigRepository, {
    get: (_target, name) => {
      if (name === 'then') return undefined;
      if (name === 'findRestorable')
        return (userIds: string[]) => Promise.resolve(userIds);
      if (name === 'markConnecting')
        return (userId: string) => Promise.resolve(fresh(userId));
      return () => Promise.resolve(undefined);
    },
  });
}
