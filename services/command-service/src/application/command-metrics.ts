import { Counter, Histogram, LATENCY_BUCKETS, type MetricsRegistry } from '@cqrs-shop/telemetry';
import type { CommandResponse } from './execute.js';

/** How a command ended: done, refused by the rules, refused for a concurrent change, or broken. */
export type CommandOutcome = 'succeeded' | 'rejected' | 'conflict' | 'failed';

/** A refusal because the aggregate changed meanwhile (optimistic concurrency), not because of the rules. */
const CONFLICT_PROBLEMS = new Set(['version-mismatch']);

export function outcomeOf(response: CommandResponse): CommandOutcome {
  if (response.status < 400) return 'succeeded';
  if (response.problemCode !== undefined && CONFLICT_PROBLEMS.has(response.problemCode)) return 'conflict';
  return response.status >= 500 ? 'failed' : 'rejected';
}

/** The command service's Prometheus series. */
export class CommandMetrics {
  private readonly commands: Counter<'command' | 'outcome'>;
  private readonly durations: Histogram<'command' | 'outcome'>;
  private readonly replays: Counter<'command'>;
  private readonly conflicts: Counter<'command'>;

  constructor(registry: MetricsRegistry) {
    const registers = [registry];
    this.commands = new Counter({
      name: 'shop_commands_total',
      help: 'Commands handled, by command type and outcome (succeeded, rejected, conflict, failed).',
      labelNames: ['command', 'outcome'],
      registers,
    });
    this.durations = new Histogram({
      name: 'shop_command_duration_seconds',
      help: 'Time to handle a command, its transaction included, by command type and outcome.',
      labelNames: ['command', 'outcome'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.replays = new Counter({
      name: 'shop_command_idempotent_replays_total',
      help: 'Requests answered with the stored response of an earlier request with the same Idempotency-Key.',
      labelNames: ['command'],
      registers,
    });
    this.conflicts = new Counter({
      name: 'shop_command_conflicts_total',
      help: 'Commands refused because the aggregate was changed concurrently (expected version not met).',
      labelNames: ['command'],
      registers,
    });
  }

  /** Counts a command that was answered; returns its outcome. */
  observe(command: string, response: CommandResponse, seconds: number): CommandOutcome {
    const outcome = outcomeOf(response);
    this.commands.inc({ command, outcome });
    this.durations.observe({ command, outcome }, seconds);
    if (response.replayed) this.replays.inc({ command });
    if (outcome === 'conflict') this.conflicts.inc({ command });
    return outcome;
  }

  /** Counts a command that could not be answered (an outage or a bug: the request gets 500). */
  observeFailure(command: string, seconds: number): void {
    this.commands.inc({ command, outcome: 'failed' });
    this.durations.observe({ command, outcome: 'failed' }, seconds);
  }
}
