import { ShopError } from '@cqrs-shop/errors';
import { addToLogContext, type Logger, withLogContext } from '@cqrs-shop/logging';
import { activeSpan, inSpan, SPAN_ATTRIBUTES, SpanKind, traceparentOf } from '@cqrs-shop/telemetry';
import type { Pool, PoolConnection } from 'mysql2/promise';
import { type AuditEntry, recordAudit } from '../adapters/mysql/audit.js';
import { claimIdempotencyKey, recordIdempotentResponse } from '../adapters/mysql/idempotency.js';
import { appendToOutbox } from '../adapters/mysql/outbox.js';
import { inTransaction } from '../adapters/mysql/transactions.js';
import type { CommandMetrics } from './command-metrics.js';
import type { Effect } from './handlers.js';

/** Who sent a command, and how to trace it. */
export interface CommandMetadata {
  readonly commandId: string;
  readonly commandType: string;
  readonly correlationId: string;
  readonly actor: string | null;
  readonly remoteAddress: string | null;
  readonly userAgent: string | null;
  readonly traceparent: string | null;
  readonly receivedAt: Date;
  /** The Idempotency-Key and a hash of the request it came with. */
  readonly idempotency: { readonly key: string; readonly requestHash: string } | null;
}

/** An HTTP-shaped answer: what a retry with the same Idempotency-Key gets again. */
export interface CommandResponse {
  readonly status: number;
  readonly body: unknown;
  /** True when this is the stored answer to an earlier request with the same key. */
  readonly replayed: boolean;
  /** Extra response headers of a refusal (e.g. the current version's ETag). */
  readonly headers?: Readonly<Record<string, string>>;
  /** The problem code of a refusal made now (a replayed refusal has none). */
  readonly problemCode?: string;
}

/** Turns a refusal into a response; returns undefined for errors that are not refusals (bugs, outages). */
export type RefusalResponder = (
  error: unknown,
) =>
  | { status: number; body: unknown; problemCode: string; headers: Readonly<Record<string, string>> }
  | undefined;

/** The same Idempotency-Key came with a different request. */
export class IdempotencyKeyReusedError extends ShopError<'command.idempotency-key-reused'> {
  constructor(readonly key: string) {
    super(
      'command.idempotency-key-reused',
      `Idempotency-Key ${key} was used before with a different request`,
    );
  }
}

export interface CommandExecutor {
  execute<S>(
    metadata: CommandMetadata,
    work: (connection: PoolConnection) => Promise<Effect<S>>,
    respond: (effect: Effect<S>) => { status: number; body: unknown },
  ): Promise<CommandResponse>;
}

/**
 * Runs commands so that the state change, its events (outbox rows), the idempotency record and
 * the audit record commit in one transaction, or none of them do. A refused command changes
 * nothing and emits nothing; its refusal is audited (and remembered for its Idempotency-Key)
 * in a second, separate transaction.
 */
export function createCommandExecutor(deps: {
  pool: Pool;
  logger: Logger;
  refusal: RefusalResponder;
  /** How long an Idempotency-Key is remembered. */
  idempotencyTtlMs: number;
  metrics?: CommandMetrics;
}): CommandExecutor {
  const audit = (
    metadata: CommandMetadata,
    outcome: Pick<AuditEntry, 'outcome' | 'statusCode' | 'problemCode' | 'detail'> & {
      aggregateType: string | null;
      aggregateId: string | null;
    },
  ): AuditEntry => ({
    commandId: metadata.commandId,
    commandType: metadata.commandType,
    actor: metadata.actor,
    remoteAddress: metadata.remoteAddress,
    userAgent: metadata.userAgent,
    correlationId: metadata.correlationId,
    idempotencyKey: metadata.idempotency?.key ?? null,
    receivedAt: metadata.receivedAt,
    ...outcome,
  });

  const run = async <S>(
    metadata: CommandMetadata,
    work: (connection: PoolConnection) => Promise<Effect<S>>,
    respond: (effect: Effect<S>) => { status: number; body: unknown },
  ): Promise<CommandResponse> => {
    try {
      return await inTransaction(deps.pool, async (connection) => {
        if (metadata.idempotency) {
          const claim = await claimIdempotencyKey(
            connection,
            metadata.idempotency.key,
            metadata.idempotency.requestHash,
            deps.idempotencyTtlMs,
          );
          if (claim.kind === 'mismatch') throw new IdempotencyKeyReusedError(metadata.idempotency.key);
          if (claim.kind === 'replay') {
            await recordAudit(
              connection,
              audit(metadata, {
                aggregateType: null,
                aggregateId: null,
                outcome: 'replayed',
                statusCode: claim.statusCode,
                problemCode: null,
                detail: null,
              }),
            );
            return { status: claim.statusCode, body: claim.body, replayed: true };
          }
        }
        const effect = await work(connection);
        activeSpan()?.setAttributes({
          [SPAN_ATTRIBUTES.aggregateType]: effect.aggregateType,
          [SPAN_ATTRIBUTES.aggregateId]: effect.aggregateId,
        });
        await inSpan('outbox write', { attributes: { 'outbox.events': effect.events.length } }, () =>
          // The outbox rows carry this span's context, so that the relay and the projectors
          // continue the command's trace; untraced, the caller's traceparent is passed on.
          appendToOutbox(connection, effect.events, {
            ...metadata,
            traceparent: traceparentOf() ?? metadata.traceparent,
          }),
        );
        const response = respond(effect);
        await recordAudit(
          connection,
          audit(metadata, {
            aggregateType: effect.aggregateType,
            aggregateId: effect.aggregateId,
            outcome: 'accepted',
            statusCode: response.status,
            problemCode: null,
            detail: null,
          }),
        );
        if (metadata.idempotency) {
          await recordIdempotentResponse(
            connection,
            metadata.idempotency.key,
            response.status,
            response.body,
          );
        }
        return { ...response, replayed: false };
      });
    } catch (error) {
      const refusal = deps.refusal(error);
      if (!refusal) throw error;
      await inTransaction(deps.pool, async (connection) => {
        await recordAudit(
          connection,
          audit(metadata, {
            aggregateType: null,
            aggregateId: null,
            outcome: 'rejected',
            statusCode: refusal.status,
            problemCode: refusal.problemCode,
            detail: error instanceof Error ? error.message : null,
          }),
        );
        // A reused key is not this request's to remember: it belongs to the first request.
        if (metadata.idempotency && !(error instanceof IdempotencyKeyReusedError)) {
          const claim = await claimIdempotencyKey(
            connection,
            metadata.idempotency.key,
            metadata.idempotency.requestHash,
            deps.idempotencyTtlMs,
          );
          if (claim.kind === 'claimed') {
            await recordIdempotentResponse(
              connection,
              metadata.idempotency.key,
              refusal.status,
              refusal.body,
            );
          }
        }
      }).catch((auditError: unknown) => {
        deps.logger.error(
          { err: auditError, commandId: metadata.commandId },
          'could not audit a refused command',
        );
      });
      return {
        status: refusal.status,
        body: refusal.body,
        replayed: false,
        headers: refusal.headers,
        problemCode: refusal.problemCode,
      };
    }
  };

  return {
    execute(metadata, work, respond) {
      const started = process.hrtime.bigint();
      const ids = { commandId: metadata.commandId, correlationId: metadata.correlationId };
      // Also on the request's own log line, written when the response has finished.
      addToLogContext(ids);
      return withLogContext(ids, () =>
        inSpan(
          `command ${metadata.commandType}`,
          {
            kind: SpanKind.INTERNAL,
            attributes: {
              [SPAN_ATTRIBUTES.commandType]: metadata.commandType,
              [SPAN_ATTRIBUTES.commandId]: metadata.commandId,
              [SPAN_ATTRIBUTES.correlationId]: metadata.correlationId,
            },
          },
          async (span) => {
            try {
              const response = await run(metadata, work, respond);
              const outcome = deps.metrics?.observe(metadata.commandType, response, elapsedSeconds(started));
              span.setAttributes({
                [SPAN_ATTRIBUTES.outcome]: outcome ?? String(response.status),
                'http.response.status_code': response.status,
                'idempotent.replayed': response.replayed,
              });
              return response;
            } catch (error) {
              deps.metrics?.observeFailure(metadata.commandType, elapsedSeconds(started));
              throw error;
            }
          },
        ),
      );
    },
  };
}

function elapsedSeconds(since: bigint): number {
  return Number(process.hrtime.bigint() - since) / 1e9;
}
