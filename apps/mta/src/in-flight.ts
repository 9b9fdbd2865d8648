/** Messages being received or handed over, per session, so that shutdown can let them finish. */
export class InFlight {
  private readonly work = new Map<string, Promise<void>>();

  track(sessionId: string, task: Promise<unknown>): void {
    const settled = task.then(
      () => undefined,
      () => undefined,
    );
    this.work.set(sessionId, settled);
    void settled.then(() => {
      if (this.work.get(sessionId) === settled) this.work.delete(sessionId);
    });
  }

  has(sessionId: string): boolean {
    return this.work.has(sessionId);
  }

  /** Resolves once nothing is in flight (work that starts meanwhile is waited for too). */
  async idle(): Promise<void> {
    while (this.work.size > 0) await Promise.all(this.work.values());
  }
}
