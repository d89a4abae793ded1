import {
  type Environment,
  httpSection,
  kafkaSection,
  loadConfig,
  redisSection,
  runtimeSection,
  section,
  variable,
} from '@cqrs-shop/config';

const projectorSection = section(
  {
    /** The consumer group; a new group reads the topics from the beginning. */
    PROJECTOR_GROUP_ID: variable.string({ default: 'cqrs-shop.projector-analytics.v1' }),
    /** Attempts at an event that keeps failing for an unexplained reason, before it is parked. @default 5 */
    PROJECTOR_ATTEMPTS: variable.integer({ min: 1, max: 100, default: 5 }),
  },
  (v) => ({ groupId: v.PROJECTOR_GROUP_ID, attempts: v.PROJECTOR_ATTEMPTS }),
);

export function loadAnalyticsConfig(env: Environment) {
  return loadConfig(
    {
      runtime: runtimeSection,
      http: httpSection('ANALYTICS_PORT', 3013),
      kafka: kafkaSection,
      redis: redisSection,
      projector: projectorSection,
    },
    env,
  );
}
