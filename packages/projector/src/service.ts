import { section, variable } from '@cqrs-shop/config';
import { parseInput } from '@cqrs-shop/http';
import type { Express } from 'express';
import { z } from 'zod';
import type { Projector } from './projector.js';
import type { ParkedAggregates } from './types.js';

/** The settings every projector service shares; `defaultGroupId` names its consumer group. */
export function projectorSection(defaultGroupId: string) {
  return section(
    {
      /** The consumer group; a new group reads the topics from the beginning. */
      PROJECTOR_GROUP_ID: variable.string({ default: defaultGroupId }),
      /** Attempts at an event that keeps failing for an unexplained reason, before it is parked. @default 5 */
      PROJECTOR_ATTEMPTS: variable.integer({ min: 1, max: 100, default: 5 }),
    },
    (v) => ({ groupId: v.PROJECTOR_GROUP_ID, attempts: v.PROJECTOR_ATTEMPTS }),
  );
}

const redriveBody = z.strictObject({
  aggregate: z
    .string()
    .regex(/^(customer|product|order):[\x21-\x7e]{1,255}$/, 'must be <aggregate type>:<aggregate id>'),
});

/**
 * `GET /projection`: lag per partition, dead letters, parked aggregates.
 * `POST /projection/redrive` `{aggregate: "order:<id>"}`: once the cause of a parking is fixed,
 * re-apply the aggregate's history and unpark it (200), or say why it stays parked (409).
 */
export function projectionRoutes(projector: Projector, parked: ParkedAggregates): (app: Express) => void {
  return (app) => {
    app.get('/projection', async (_req, res) => {
      res.json({ ...projector.status(), parked: await parked.list() });
    });
    app.post('/projection/redrive', async (req, res) => {
      const { aggregate } = parseInput(redriveBody, req.body);
      const result = await projector.redrive(aggregate);
      res.status(result.redriven ? 200 : 409).json(result);
    });
  };
}
