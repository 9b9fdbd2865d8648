import { Writable, type WritableOptions } from 'node:stream';

/**
 * Holds one message in memory while it arrives, up to the size limit
 * (message_size_limit): authentication, signing and the queue need the whole
 * message before anything is delivered. Past the limit the bytes are read and
 * dropped, so the client still gets its reply after the final dot.
 */
export class MessageSpool extends Writable {
  private readonly chunks: Buffer[] = [];
  private bytes = 0;
  /** True once more than `limit` bytes arrived (the content is then incomplete). */
  overflowed = false;

  constructor(
    private readonly limit: number,
    options?: WritableOptions,
  ) {
    super(options);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (!this.overflowed) {
      if (this.bytes + chunk.length > this.limit) {
        this.overflowed = true;
        this.chunks.length = 0;
      } else {
        this.chunks.push(chunk);
        this.bytes += chunk.length;
      }
    }
    callback();
  }

  /** The message as received (CRLF lines, not dot-stuffed). */
  content(): Buffer {
    return Buffer.concat(this.chunks, this.bytes);
  }
}
