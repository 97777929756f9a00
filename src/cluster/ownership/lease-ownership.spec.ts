import { balanceSlack, fairShare } from './lease-ownership';

describe('fair share of sessions between instances', () => {
  it.each([
    [30, 3, 10],
    [31, 3, 11],
    [2, 3, 1],
    [0, 3, 0],
    // Before any heartbeat is seen, an instance counts itself alone.
    [7, 0, 7],
  ])(
    '%i sessions over %i live instances: %i each',
    (sessions, instances, share) => {
      expect(fairShare(sessions, instances)).toBe(share);
    },
  );

  it('sheds only beyond a tenth of the share, and never below one session of slack', () => {
    expect(balanceSlack(10)).toBe(1);
    expect(balanceSlack(0)).toBe(1);
    expect(balanceSlack(100)).toBe(10);
  });
});
