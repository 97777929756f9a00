/**
 * Runs autocannon in its own process, so the load generator does not share
 * the server's event loop. Receives its options over IPC, answers with the result.
 */
import autocannon from 'autocannon';

process.once('message', (options: autocannon.Options) => {
  autocannon(options)
    .then((result) => process.send?.({ ok: true, result }))
    .catch((error: unknown) =>
      process.send?.({ ok: false, error: String(error) }),
    )
    .finally(() => process.disconnect?.());
});
