/** Room one message holds while it is received and processed: a slot and some bytes. */
export interface MessageRoom {
  /** The bytes held now. */
  readonly bytes: number;
  /**
   * Holds `total` bytes in all (more than now), waiting up to `waitMs` ahead
   * of messages not yet admitted; false when they cannot be had in time.
   */
  grow(total: number, waitMs: number): Promise<boolean>;
  /** Gives the slot and the bytes back (again: nothing). */
  release(): void;
}

interface Waiter {
  slot: boolean;
  bytes: number;
  grant(): void;
}

/**
 * Admission for the messages one MTA process receives at once: at most
 * `maxMessages` of them, holding at most `maxBytes` together. Requests are
 * served in arrival order (a large message is not starved by small ones),
 * except that a message already admitted that needs more bytes goes first:
 * it holds a slot that only its completion gives back.
 */
export class InFlightLimits {
  private messages = 0;
  private bytes = 0;
  private readonly waiting: Waiter[] = [];

  constructor(
    readonly maxMessages: number,
    readonly maxBytes: number,
  ) {}

  /** Messages and bytes held now, and requests waiting (for the log). */
  get usage(): { messages: number; bytes: number; waiting: number } {
    return { messages: this.messages, bytes: this.bytes, waiting: this.waiting.length };
  }

  /** Whether a message of `bytes` could ever be taken, with nothing else in flight. */
  fits(bytes: number): boolean {
    return bytes <= this.maxBytes;
  }

  /**
   * A slot and `bytes` (capped at maxBytes), waiting up to `waitMs`; null when
   * time runs out or `signal` aborts first (the client went away).
   */
  async acquire(bytes: number, waitMs: number, signal?: AbortSignal): Promise<MessageRoom | null> {
    const wanted = Math.min(bytes, this.maxBytes);
    const granted = await this.request({ slot: true, bytes: wanted }, waitMs, signal, false);
    return granted ? this.room(wanted) : null;
  }

  private room(initial: number): MessageRoom {
    let held = initial;
    let released = false;
    return {
      get bytes() {
        return held;
      },
      grow: async (total, waitMs) => {
        if (released) throw new Error('grow() after release()');
        if (total <= held) return true;
        if (!this.fits(total)) return false;
        const extra = total - held;
        if (!(await this.request({ slot: false, bytes: extra }, waitMs, undefined, true))) return false;
        if (released) {
          this.give(false, extra);
          return false;
        }
        held = total;
        return true;
      },
      release: () => {
        if (released) return;
        released = true;
        this.give(true, held);
      },
    };
  }

  private request(need: { slot: boolean; bytes: number }, waitMs: number, signal: AbortSignal | undefined, first: boolean): Promise<boolean> {
    if (signal?.aborted) return Promise.resolve(false);
    if (this.waiting.length === 0 || first) {
      if (this.available(need)) {
        this.take(need);
        return Promise.resolve(true);
      }
    }
    return new Promise((resolve) => {
      const finish = (granted: boolean): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', abort);
        resolve(granted);
      };
      const waiter: Waiter = { ...need, grant: () => finish(true) };
      const leave = (): void => {
        const index = this.waiting.indexOf(waiter);
        if (index < 0) return;
        this.waiting.splice(index, 1);
        finish(false);
        // The head may have been the only one blocking those behind it.
        this.serve();
      };
      const timer = setTimeout(leave, waitMs);
      const abort = (): void => leave();
      signal?.addEventListener('abort', abort, { once: true });
      if (first) this.waiting.unshift(waiter);
      else this.waiting.push(waiter);
    });
  }

  private available(need: { slot: boolean; bytes: number }): boolean {
    return (!need.slot || this.messages < this.maxMessages) && this.bytes + need.bytes <= this.maxBytes;
  }

  private take(need: { slot: boolean; bytes: number }): void {
    if (need.slot) this.messages++;
    this.bytes += need.bytes;
  }

  private give(slot: boolean, bytes: number): void {
    if (slot) this.messages--;
    this.bytes -= bytes;
    this.serve();
  }

  /** Grants waiting requests in order while the head fits. */
  private serve(): void {
    for (let head = this.waiting[0]; head !== undefined && this.available(head); head = this.waiting[0]) {
      this.waiting.shift();
      this.take(head);
      head.grant();
    }
  }
}
