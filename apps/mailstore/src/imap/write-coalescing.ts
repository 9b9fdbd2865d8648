// The responses a pipelining client gets in one turn of the event loop leave in one socket write, not one per line.
import type { Socket } from 'node:net';
import type { ImapConnection } from './imap-core.js';

/**
 * imap-core writes each response line (a FETCH's data, its closing CRLF, the
 * tagged OK) to the socket on its own: with TLS each became a record of its
 * own and each a segment (Nagle is off), and a client pulling a mailbox one
 * UID FETCH at a time (RFC 3501 §5.5 pipelining: mbsync) read them one
 * system call at a time. In the Selected state the socket is corked at the
 * first write and uncorked once the turn's work is done (setImmediate: after
 * the store calls, the tagged response and the next pipelined commands that
 * could run at once). Order is untouched; backpressure still holds (a corked
 * socket reports itself full, and the uncork comes without waiting for it).
 */
export function coalesceWrites(connection: ImapConnection): void {
  const stream = connection.writeStream;
  const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  let corked: Socket | null = null;
  const uncork = (): void => {
    corked?.uncork();
    corked = null;
  };
  stream.write = ((...args: unknown[]): boolean => {
    if (!corked && connection.state === 'Selected' && !connection._socket.destroyed) {
      corked = connection._socket;
      corked.cork();
      setImmediate(uncork);
    }
    return write(...args);
  }) as typeof stream.write;
}
