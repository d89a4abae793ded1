// The registry for shell scripts (scripts/services, scripts/with-local-stack): one line per
// service, in start order — name, port variable, default port, URL variable ("-" for none),
// readiness path.
import { HEALTH_PATHS, SERVICES, type ServiceEntry } from './index.js';

for (const entry of SERVICES as readonly ServiceEntry[])
  process.stdout.write(
    `${entry.name} ${entry.port.variable} ${entry.port.default} ${entry.urlVariable ?? '-'} ${HEALTH_PATHS.ready}\n`,
  );
