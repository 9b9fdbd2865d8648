import { createReadStream } from 'node:fs';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import { Readable, Writable, type WritableOptions } from 'node:stream';

/** A message stays in memory up to this size; past it, it goes to a file (Postfix's cleanup writes every message to one). */
export const MEMORY_SPOOL_LIMIT = 1024 * 1024;

/**
 * Holds one message while it arrives and until it is committed: in memory
 * up to MEMORY_SPOOL_LIMIT, then in a file of its own (mode 0600) that
 * destroy() removes, whatever the outcome. Past `limit`
 * (message_size_limit) the bytes are read and dropped, so the client still
 * gets its reply after the final dot. Readers take the message as a stream
 * or, once, as one buffer.
 */
export class MessageSpool extends Writable {
  private readonly chunks: Buffer[] = [];
  private file: FileHandle | null = null;
  /** The file operation in progress: destroy() waits for it before it closes and removes the file. */
  private busy: Promise<unknown> = Promise.resolve();
  /** Bytes taken (the message's size, when not overflowed). */
  size = 0;
  /** True once more than `limit` bytes arrived (the content is then incomplete). */
  overflowed = false;
  /** The file could not be written (e.g. a full disk): the rest is read and dropped, and the message refused. */
  failure: Error | null = null;

  constructor(
    /** Where the file goes when the message outgrows memory. */
    readonly path: string,
    private readonly limit: number,
    private readonly memoryLimit = MEMORY_SPOOL_LIMIT,
    options?: WritableOptions,
  ) {
    // Not destroyed at 'finish': the message is read after it has all arrived, until destroy().
    super({ ...options, autoDestroy: false });
  }

  /** True once the message is in the file rather than in memory. */
  get onDisk(): boolean {
    return this.file !== null;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.overflowed || this.failure) return callback();
    if (this.size + chunk.length > this.limit) {
      this.overflowed = true;
      this.chunks.length = 0;
      return callback();
    }
    this.size += chunk.length;
    if (this.file === null && this.size <= this.memoryLimit) {
      this.chunks.push(chunk);
      return callback();
    }
    // The callback waits for the disk: a slow disk slows the client (TCP backpressure), not memory.
    const done = this.toFile(chunk).catch((err: Error) => {
      // Not a stream error: the client still gets its reply after the final dot.
      this.failure = err;
      this.chunks.length = 0;
    });
    this.busy = done;
    void done.then(() => callback());
  }

  private async toFile(chunk: Buffer): Promise<void> {
    if (this.file === null) {
      // 'wx': never an existing file; 0600: the message is for this process only.
      this.file = await open(this.path, 'wx', 0o600);
      const buffered = this.chunks.splice(0);
      if (buffered.length > 0) await this.file.writev(buffered);
    }
    await this.file.write(chunk);
  }

  override _final(callback: (error?: Error | null) => void): void {
    // Readers open the file by name; the writing handle is done.
    const file = this.file;
    if (file === null) return callback();
    const closed = file.close();
    this.busy = closed.catch(() => undefined);
    closed.then(() => callback(), callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.chunks.length = 0;
    void this.busy
      .then(async () => {
        const file = this.file;
        if (file === null) return;
        await file.close().catch(() => undefined);
        await unlink(this.path).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== 'ENOENT') throw err;
        });
      })
      .then(
        () => callback(error),
        (err: Error) => callback(error ?? err),
      );
  }

  /** The message from byte `start` on, as a stream (CRLF lines, not dot-stuffed). */
  stream(start = 0): Readable {
    if (this.file !== null) return createReadStream(this.path, { start, highWaterMark: 64 * 1024 });
    return Readable.from(this.memory(start), { objectMode: false });
  }

  /** Up to `length` bytes from the start, for reading the header. */
  async head(length: number): Promise<Buffer> {
    if (this.file === null) return this.memory(0).subarray(0, length);
    const handle = await open(this.path, 'r');
    try {
      const buffer = Buffer.alloc(Math.min(length, this.size));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      return buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  }

  /** `prefix` and the message from byte `start` on, in one buffer: one copy of the message in memory. */
  async content(start = 0, prefix: Buffer = Buffer.alloc(0)): Promise<Buffer> {
    if (this.file === null) return Buffer.concat([prefix, this.memory(start)]);
    const out = Buffer.allocUnsafe(prefix.length + this.size - start);
    prefix.copy(out);
    const handle = await open(this.path, 'r');
    try {
      for (let at = prefix.length; at < out.length; ) {
        const { bytesRead } = await handle.read(out, at, out.length - at, start + at - prefix.length);
        if (bytesRead === 0) throw new Error(`spool file ${this.path} ended ${out.length - at} bytes early`);
        at += bytesRead;
      }
    } finally {
      await handle.close();
    }
    return out;
  }

  private memory(start: number): Buffer {
    const whole = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    return whole.subarray(start);
  }
}
