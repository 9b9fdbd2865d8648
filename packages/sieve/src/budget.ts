// The per-run CPU and action budget: a hostile script ends with an error (and implicit keep) instead of stalling delivery.
import { DEFAULT_BUDGET } from './types.js';

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
