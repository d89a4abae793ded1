// Creates every topic the suite uses and exits: `node tools/cqrs/dist/create-topics.js`.
// Deployments run it once before the services (the topic job), with the partitions and
// replication factor they choose; the relay and the projectors create only what is still
// missing, with the broker's default replication factor.
import { createKafkaClients, ensureTopics } from '@cqrs-shop/kafka';
import { runTask } from '@cqrs-shop/lifecycle';
import { loadCreateTopicsConfig, suiteTopics } from './topics.js';

void runTask({
  name: 'create-topics',
  loadConfig: () => loadCreateTopicsConfig(process.env),
  async run({ config, logger }) {
    const kafka = createKafkaClients(config.kafka, logger);
    const admin = kafka.admin();
    await admin.connect();
    try {
      const specs = suiteTopics(
        config.kafka.topicPrefix,
        config.topics.partitions,
        config.topics.deadLetterRetentionMs,
      );
      const created = await ensureTopics(admin, specs, config.topics.replicationFactor);
      logger.info(
        { created, present: specs.filter((spec) => !created.includes(spec.topic)).map((s) => s.topic) },
        created.length === 0 ? 'every topic exists' : 'created topics',
      );
    } finally {
      await admin.disconnect();
      await kafka.close();
    }
  },
});
