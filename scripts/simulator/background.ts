import { setMaxListeners } from "node:events";
import type { Server } from "node:http";

/**
 * What both stand-ins run behind a request they already answered (a simulated call, a
 * transcription): one abort signal every piece of that work listens to, the set of runs still
 * going, and a stop that aborts them, waits for them and closes the server.
 */
export function backgroundWork(server: Server) {
  const running = new Set<Promise<void>>();
  const stopping = new AbortController();
  // Every live run and in-flight webhook listens to this one signal; hundreds at once (a
  // benchmark) are expected, not a leak.
  setMaxListeners(0, stopping.signal);
  return {
    signal: stopping.signal,
    /** Run `work` in the background: `onError` unless stopping, then `settled` either way. */
    start(work: Promise<unknown>, onError: (error: unknown) => void, settled: () => void): void {
      const run: Promise<void> = work
        .then(() => undefined, (error: unknown) => {
          if (!stopping.signal.aborted) onError(error);
        })
        .finally(() => {
          settled();
          running.delete(run);
        });
      running.add(run);
    },
    async stop(): Promise<void> {
      stopping.abort();
      await Promise.allSettled([...running]);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
