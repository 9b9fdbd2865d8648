// Gives memory back after a large transfer: one full collection once the bytes have gone out.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Bytes served since the last collection that make one worth its pause (tens of ms on the mailstore's heap). */
const RELEASE_AFTER_BYTES = 64 * 1024 * 1024;
/** Wait this long after the transfer: a client that fetches in several commands is collected once, at the end. */
const QUIET_MS = 1000;

let served = 0;
let timer: NodeJS.Timeout | null = null;
let collect: (() => void) | null | undefined;

/** V8's full collection, as `node --expose-gc` offers it (null if this runtime refuses). */
function fullCollection(): (() => void) | null {
  if (collect === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      collect = runInNewContext('gc') as () => void;
    } catch {
      collect = null;
    }
  }
  return collect;
}

/**
 * V8 collects when its heap grows, not when the process goes idle: after a
 * FETCH has streamed hundreds of megabytes of message bytes (Buffers read
 * from the store, the compiled responses, the copies the socket made), that
 * garbage would hold the process's RSS at its peak until the next burst of
 * allocation. Once RELEASE_AFTER_BYTES have been served and the transfers
 * have been quiet for QUIET_MS, one full collection gives it back.
 */
export function servedBytes(bytes: number): void {
  served += bytes;
  if (served < RELEASE_AFTER_BYTES) return;
  if (timer) clearTimeout(timer);
  timer = setTimeout(() => {
    timer = null;
    served = 0;
    fullCollection()?.();
  }, QUIET_MS);
  timer.unref();
}
