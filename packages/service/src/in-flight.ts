/** Work under way per session (a message in DATA, a delivery), so that shutdown can let it finish. */
export class InFlight {
  private readonly work = new Map<string, Promise<unknown>>();

  /** Records `task` as the session's work until it settles; returns it unchanged. */
  track<T>(sessionId: string, task: Promise<T>): Promise<T> {
    const settled = task.then(
      () => undefined,
      () => undefined,
    );
    this.work.set(sessionId, settled);
    void settled.then(() => {
      if (this.work.get(sessionId) === settled) this.work.delete(sessionId);
    });
    return task;
  }

  has(sessionId: string): boolean {
    return this.work.has(sessionId);
  }

  /** Resolves once nothing is in flight (work that starts meanwhile is waited for too). */
  async idle(): Promise<void> {
    while (this.work.size > 0) await Promise.all(this.work.values());
  }
}
