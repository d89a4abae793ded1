// `cqrs outbox …`: the outbox rows the relay quarantined, listed and released, on the write
// model's MySQL database.
import { loadConfig, mysqlSection, runtimeSection } from '@cqrs-shop/config';
import { OutboxQuarantine, type QuarantinedRow, ReleaseRefusedError } from '@cqrs-shop/outbox';
import { createPool } from 'mysql2/promise';
import { type Command, EXIT } from './args.js';
import { textTable } from './commands.js';

export function loadOutboxConfig(env: NodeJS.ProcessEnv) {
  return loadConfig({ runtime: runtimeSection, mysql: mysqlSection }, env);
}

export type OutboxConfig = ReturnType<typeof loadOutboxConfig>;

/** One line per row: position, event, aggregate, age, and why it waits. */
export function formatQuarantine(rows: readonly QuarantinedRow[], now = Date.now()): string {
  if (rows.length === 0) return 'the outbox quarantine is empty\n';
  const table = [['POSITION', 'EVENT', 'AGGREGATE', 'VERSION', 'QUARANTINED', 'REASON']];
  for (const row of rows)
    table.push([
      String(row.position),
      row.eventType,
      `${row.aggregateType} ${row.aggregateId}`,
      String(row.aggregateVersion),
      `${Math.max(0, Math.round((now - row.quarantinedAt.getTime()) / 1_000))} s ago`,
      row.reason,
    ]);
  return textTable(table);
}

/** Runs an outbox command; returns the exit status. */
export async function runOutboxCommand(
  command: Extract<Command, { command: 'outbox-list' | 'outbox-release' }>,
  config: OutboxConfig,
  print: (text: string) => void,
  printError: (text: string) => void,
): Promise<number> {
  const pool = createPool({ ...config.mysql, connectionLimit: 1, timezone: 'Z', supportBigNumbers: true });
  const quarantine = new OutboxQuarantine(pool);
  try {
    if (command.command === 'outbox-list') {
      const rows = await quarantine.list();
      print(command.json ? `${JSON.stringify({ quarantined: rows }, null, 2)}\n` : formatQuarantine(rows));
      return EXIT.ok;
    }
    try {
      const released = await quarantine.release(command.position, {
        dropTraceparent: command.dropTraceparent,
      });
      print(
        command.json
          ? `${JSON.stringify({ released }, null, 2)}\n`
          : `released ${released.length} row${released.length === 1 ? '' : 's'} (${released.join(', ')}) to the outbox; the relay publishes them next\n`,
      );
      return EXIT.ok;
    } catch (error) {
      if (!(error instanceof ReleaseRefusedError)) throw error;
      printError(`refused: ${error.message}`);
      return EXIT.refused;
    }
  } finally {
    await pool.end();
  }
}
