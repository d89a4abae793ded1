/** What the relay's `GET /stats` answers (the parts the gateway uses). */
export interface RelayReport {
  readonly backlog: number;
  readonly oldestUnpublishedAt: string | null;
  readonly backlogCountedAt: string | null;
  /** Absent from a relay older than the quarantine. */
  readonly quarantined?: number;
}

/**
 * The outbox as `GET /projections` shows it: events committed by commands but not yet in Kafka
 * are behind every projection, whatever the projectors' lag says.
 */
export interface OutboxStatus {
  /** Whether the relay answered and had counted its backlog within the last 5 s. */
  readonly known: boolean;
  readonly error?: string;
  /** Events waiting to be published; null when unknown. */
  readonly backlog: number | null;
  /** When the oldest of them was committed, and how long ago (null when none waits, or unknown). */
  readonly oldestUnpublishedAt: string | null;
  readonly oldestAgeSeconds: number | null;
  /**
   * Rows the relay could not publish and set aside (`cqrs outbox list`), with the later events
   * of their aggregates: behind every projection until released; null when unknown.
   */
  readonly quarantined: number | null;
  readonly countedAt: string | null;
  readonly checkedAt: string;
}

/** A count older than this is unknown: MySQL has not answered the relay since. */
const COUNT_KNOWN_FOR_MS = 5_000;

export function outboxStatusOf(report: RelayReport, checkedAt: string): OutboxStatus {
  const now = Date.parse(checkedAt);
  const counted = report.backlogCountedAt;
  if (counted === null || now - Date.parse(counted) > COUNT_KNOWN_FOR_MS)
    return unknownOutbox(
      checkedAt,
      counted === null
        ? 'the relay has not counted its backlog yet'
        : `the relay has not been able to count its backlog since ${counted}`,
      counted,
    );
  const oldest = report.oldestUnpublishedAt;
  return {
    known: true,
    backlog: report.backlog,
    oldestUnpublishedAt: oldest,
    oldestAgeSeconds: oldest === null ? null : Math.max(0, (now - Date.parse(oldest)) / 1_000),
    quarantined: report.quarantined ?? 0,
    countedAt: counted,
    checkedAt,
  };
}

/** The outbox as unknown, with the reason (the relay not asked, or not answering). */
export function unknownOutbox(
  checkedAt: string,
  error: string,
  countedAt: string | null = null,
): OutboxStatus {
  return {
    known: false,
    error,
    backlog: null,
    oldestUnpublishedAt: null,
    oldestAgeSeconds: null,
    quarantined: null,
    countedAt,
    checkedAt,
  };
}

/** Asks the relay for its backlog; unknown (with the reason) when it does not answer in time. */
export async function fetchOutboxStatus(relayUrl: string, timeoutMs: number): Promise<OutboxStatus> {
  const checkedAt = new Date().toISOString();
  try {
    const response = await fetch(new URL('/stats', relayUrl), { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) throw new Error(`answered ${response.status}`);
    return outboxStatusOf((await response.json()) as RelayReport, checkedAt);
  } catch (error) {
    return unknownOutbox(checkedAt, `relay: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * Where one committed event is on its way to the projections: still in the outbox, set aside in
 * its quarantine, or published to Kafka (a published row may since have been deleted); or no
 * such version of the aggregate was ever committed.
 */
export type EventStage = 'unpublished' | 'quarantined' | 'published' | 'not-committed';

/** Asks the relay where an event is; `unknown` when it does not answer in time. */
export async function fetchEventStage(
  relayUrl: string,
  aggregate: string,
  version: number,
  timeoutMs: number,
): Promise<EventStage | 'unknown'> {
  try {
    const url = new URL('/outbox/stage', relayUrl);
    url.searchParams.set('aggregate', aggregate);
    url.searchParams.set('version', String(version));
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) return 'unknown';
    const { stage } = (await response.json()) as { stage?: EventStage };
    return stage ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
