#!/usr/bin/env node
// `cqrs`: the operator's command (see args.ts for its commands, or run `cqrs --help`).
// Results go to stdout, logs (JSON) to stderr, so `--json` output can be piped.
import { ConfigError } from '@cqrs-shop/config';
import { fetchOutboxStatus, unknownOutbox } from '@cqrs-shop/outbox';
import { createLogger, type Logger } from '@cqrs-shop/logging';
import { RebuildRefusedError } from '@cqrs-shop/projector';
import { formatSummary } from '@cqrs-shop/convergence';
import {
  type Command,
  CHECK_EXIT,
  EXIT,
  isOutboxCommand,
  parseArgs,
  PROJECTION_NAMES,
  UsageError,
} from './args.js';
import { checkReadModels, loadCheckConfig } from './convergence.js';
import {
  collect,
  dropOne,
  formatList,
  formatOutbox,
  formatRebuildResult,
  formatRedrive,
  listProjections,
  rebuildProjections,
  redriveParked,
  switchVersion,
} from './commands.js';
import { loadOutboxConfig, type OutboxConfig, runOutboxCommand } from './outbox.js';
import { jsonSink, plainSink, terminalSink } from './progress.js';
import { issueTokenCommand, keygenCommand, loadTokensConfig, opsToken, type TokensConfig } from './tokens.js';
import { type CliConfig, loadCliConfig, openShop, projectorUrlVariable, type Shop } from './read-models.js';

const NAME = 'cqrs';
const print = (text: string) => process.stdout.write(text);
const printJson = (value: unknown) => print(`${JSON.stringify(value, null, 2)}\n`);

async function run(
  command: Exclude<
    Command,
    {
      command:
        'help' | 'outbox-list' | 'outbox-release' | 'tokens-issue' | 'tokens-keygen' | 'check-convergence';
    }
  >,
  shop: Shop,
  logger: Logger,
  rebuild: CliConfig['rebuild'],
): Promise<number> {
  switch (command.command) {
    case 'list': {
      const [listed, outbox] = await Promise.all([
        listProjections(shop, PROJECTION_NAMES),
        shop.relayUrl === ''
          ? Promise.resolve(
              unknownOutbox(new Date().toISOString(), 'RELAY_URL is not set: where the outbox relay answers'),
            )
          : fetchOutboxStatus(shop.relayUrl, 2_000),
      ]);
      if (command.json) printJson({ projections: listed, outbox });
      else print(`${formatList(listed)}\n${formatOutbox(outbox)}`);
      return EXIT.ok;
    }
    case 'rebuild': {
      // The first signal stops the rebuild cleanly (offsets committed, resumable); a second ends it now.
      const abort = new AbortController();
      const onSignal = () => {
        if (abort.signal.aborted) process.exit(EXIT.interrupted);
        process.stderr.write('stopping the rebuild; it resumes from here when started again\n');
        abort.abort();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      const sink = command.json
        ? jsonSink(process.stdout)
        : process.stderr.isTTY
          ? terminalSink(process.stderr)
          : plainSink(process.stderr);
      const settled = await rebuildProjections(
        shop,
        command.projections,
        { ...command, progressIntervalMs: rebuild.progressIntervalMs },
        sink,
        logger,
        abort.signal,
      );
      let status: number = EXIT.ok;
      for (const [i, outcome] of settled.entries()) {
        const name = command.projections[i];
        if (outcome.status === 'fulfilled') {
          if (command.json) print(`${JSON.stringify({ type: 'result', ...outcome.value })}\n`);
          else print(formatRebuildResult(outcome.value));
          if (outcome.value.outcome === 'stopped') status = Math.max(status, EXIT.interrupted);
          continue;
        }
        const error: unknown = outcome.reason;
        const refused = error instanceof RebuildRefusedError;
        const message = error instanceof Error ? error.message : String(error);
        if (command.json) print(`${JSON.stringify({ type: 'error', name, refused, message })}\n`);
        else process.stderr.write(`${NAME}: ${name}: ${refused ? 'refused: ' : ''}${message}\n`);
        if (!refused) logger.error({ err: error, projection: name }, 'rebuild failed');
        status = Math.max(status, refused ? EXIT.refused : EXIT.failed);
      }
      return status;
    }
    case 'switch': {
      const record = await switchVersion(shop, command.projection, command.version);
      if (command.json) printJson(record);
      else print(`${command.projection}: version ${record.version} is live; its projector catches it up\n`);
      return EXIT.ok;
    }
    case 'drop': {
      const dropped = await dropOne(shop, command.projection, command.version);
      if (command.json) printJson(dropped);
      else
        print(
          dropped.dropped
            ? `${command.projection}: version ${dropped.version} dropped\n`
            : `${command.projection}: version ${dropped.version} not dropped: ${dropped.reason ?? ''}\n`,
        );
      return dropped.dropped ? EXIT.ok : EXIT.refused;
    }
    case 'redrive': {
      const url = shop.projectorUrls[command.projection];
      if (url === '') {
        process.stderr.write(
          `${NAME}: ${projectorUrlVariable(command.projection)} is not set: where the ${command.projection} projector answers\n`,
        );
        return EXIT.config;
      }
      let token: string;
      try {
        token = await opsToken(process.env);
      } catch (error) {
        process.stderr.write(`${NAME}: ${error instanceof Error ? error.message : String(error)}\n`);
        return EXIT.config;
      }
      const results = await redriveParked(url, command.aggregate, token);
      if (command.json) printJson({ projection: command.projection, results });
      else print(formatRedrive(command.projection, results));
      return results.every((result) => result.redriven) ? EXIT.ok : EXIT.refused;
    }
    case 'gc': {
      const collected = await collect(shop, command.projections);
      if (command.json) printJson({ projections: collected });
      else
        for (const { name, versions } of collected)
          print(
            versions.length === 0
              ? `${name}: nothing to drop\n`
              : versions
                  .map(
                    (v) =>
                      `${name}: version ${v.version} (${v.state}) ${v.dropped ? 'dropped' : `kept: ${v.reason ?? ''}`}\n`,
                  )
                  .join(''),
          );
      return collected.every(({ versions }) => versions.every((v) => v.dropped)) ? EXIT.ok : EXIT.refused;
    }
  }
}

/** Exits 0 when the read models agree with the write model, 1 with differences, 2 when it could not finish. */
async function checkConvergenceCommand(
  command: Extract<Command, { command: 'check-convergence' }>,
): Promise<number> {
  let config;
  try {
    config = loadCheckConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${NAME}: ${error.message}\n`);
    return EXIT.config;
  }
  const logger = createLogger({ service: NAME, level: config.runtime.logLevel, destination: process.stderr });
  try {
    const report = await checkReadModels(config, command);
    print(command.json ? `${JSON.stringify(report, null, 2)}\n` : formatSummary(report));
    return report.converged ? CHECK_EXIT.converged : CHECK_EXIT.differences;
  } catch (error) {
    // Not the same news as differences found: the check itself could not be completed.
    process.stderr.write(
      `${NAME}: the check failed: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    logger.error({ err: error }, 'convergence check failed');
    return CHECK_EXIT.failed;
  }
}

async function main(): Promise<number> {
  let command: Command;
  try {
    command = parseArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(
      `${NAME}: ${error.message}\n(${NAME} --help lists every command; ${NAME} <command> --help its options)\n`,
    );
    return EXIT.usage;
  }
  if (command.command === 'help') {
    print(command.text);
    return EXIT.ok;
  }
  if (command.command === 'check-convergence') return checkConvergenceCommand(command);
  if (command.command === 'tokens-keygen') {
    const made = keygenCommand(command);
    if (command.json) printJson({ made, keyFile: command.keyFile, jwksFile: command.jwksFile });
    else
      print(
        made
          ? `made a signing key: ${command.keyFile}, ${command.jwksFile}\n`
          : 'the signing key exists; kept\n',
      );
    return EXIT.ok;
  }
  if (command.command === 'tokens-issue') {
    let tokensConfig: TokensConfig;
    try {
      tokensConfig = loadTokensConfig(process.env);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      process.stderr.write(`${NAME}: ${error.message}\n`);
      return EXIT.config;
    }
    try {
      await issueTokenCommand(command, tokensConfig, print);
    } catch (error) {
      process.stderr.write(`${NAME}: ${error instanceof Error ? error.message : String(error)}\n`);
      return EXIT.config;
    }
    return EXIT.ok;
  }
  if (isOutboxCommand(command)) {
    let outboxConfig: OutboxConfig;
    try {
      outboxConfig = loadOutboxConfig(process.env);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      process.stderr.write(`${NAME}: ${error.message}\n`);
      return EXIT.config;
    }
    return runOutboxCommand(command, outboxConfig, print, (text) =>
      process.stderr.write(`${NAME}: ${text}\n`),
    );
  }
  let config: CliConfig;
  try {
    config = loadCliConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${NAME}: ${error.message}\n`);
    return EXIT.config;
  }
  // Quiet unless asked: the progress display is the news; warnings and errors still show.
  const logger = createLogger({
    service: NAME,
    level: process.env.LOG_LEVEL === undefined ? 'warn' : config.runtime.logLevel,
    destination: process.stderr,
  });
  const shop = openShop(config, logger);
  try {
    return await run(command, shop, logger, config.rebuild);
  } catch (error) {
    if (error instanceof RebuildRefusedError) {
      process.stderr.write(`${NAME}: refused: ${error.message}\n`);
      return EXIT.refused;
    }
    process.stderr.write(`${NAME}: ${error instanceof Error ? error.message : String(error)}\n`);
    logger.error({ err: error }, 'failed');
    return EXIT.failed;
  } finally {
    await shop.close();
  }
}

void main().then(
  (status) => {
    process.exitCode = status;
  },
  (error: unknown) => {
    process.stderr.write(
      `${NAME}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = EXIT.failed;
  },
);
