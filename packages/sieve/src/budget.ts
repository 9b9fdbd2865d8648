// The per-run CPU and action budget (RFC 5228 §2.10.4 limits on numbers of actions, §2.10.7 limits on
// execution): a hostile script ends with an error, and so the implicit keep, instead of stalling delivery.
import { DEFAULT_BUDGET } from './types.js';

const BYTES_PER_STEP = 8;

export class BudgetExceeded extends Error {}

export class Budget {
  private steps = 0;
  private actions = 0;
  readonly maxSteps: number;
  readonly maxActions: number;

  constructor(limits: { steps?: number; actions?: number } = {}) {
    this.maxSteps = limits.steps ?? DEFAULT_BUDGET.steps;
    this.maxActions = limits.actions ?? DEFAULT_BUDGET.actions;
  }

  /** Counts work (1 per command or test, string work by length); throws once over the limit. */
  spend(steps: number): void {
    this.steps += steps;
    if (this.steps > this.maxSteps) throw new BudgetExceeded(`script exceeded its budget of ${this.maxSteps} steps`);
  }

  /**
   * Counts text scanned by native string operations (indexOf, decoding, case folding), which cost
   * about an eighth of a step per byte: a 1 MB body can be searched, a 100 MB loop cannot.
   */
  spendBytes(bytes: number): void {
    this.spend(1 + Math.ceil(bytes / BYTES_PER_STEP));
  }

  /** Whether `steps` more would fit, without spending them. */
  fits(steps: number): boolean {
    return this.steps + steps <= this.maxSteps;
  }

  action(): void {
    this.actions++;
    if (this.actions > this.maxActions) throw new BudgetExceeded(`script exceeded its budget of ${this.maxActions} actions`);
  }

  get used(): number {
    return this.steps;
  }
}
