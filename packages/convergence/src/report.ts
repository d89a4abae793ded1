// The report: per read model, how many aggregates were compared and what differs.
import type { Difference, ReadModelName } from './differences.js';

export interface ReadModelReport {
  readonly readModel: ReadModelName;
  /** Aggregates of the write model compared (orders, products), plus counters for analytics. */
  readonly compared: number;
  /** Every difference found, including those not listed. */
  readonly differenceCount: number;
  /** The first differences found, at most `maxDifferences` of them. */
  readonly differences: readonly Difference[];
}

export interface ConvergenceReport {
  /** True when no read model differs from the write model. */
  readonly converged: boolean;
  readonly differenceCount: number;
  readonly readModels: readonly ReadModelReport[];
}

/** Tallies one read model's comparison, keeping only the first differences (memory stays flat). */
export class ReadModelTally {
  private compared = 0;
  private differenceCount = 0;
  private readonly kept: Difference[] = [];

  constructor(
    readonly readModel: ReadModelName,
    private readonly maxDifferences: number,
  ) {}

  countCompared(aggregates: number): void {
    this.compared += aggregates;
  }

  record(differences: readonly Difference[]): void {
    this.differenceCount += differences.length;
    const room = this.maxDifferences - this.kept.length;
    if (room > 0) this.kept.push(...differences.slice(0, room));
  }

  report(): ReadModelReport {
    return {
      readModel: this.readModel,
      compared: this.compared,
      differenceCount: this.differenceCount,
      differences: [...this.kept],
    };
  }
}

export function convergenceReport(readModels: readonly ReadModelReport[]): ConvergenceReport {
  const differenceCount = readModels.reduce((sum, report) => sum + report.differenceCount, 0);
  return { converged: differenceCount === 0, differenceCount, readModels };
}
