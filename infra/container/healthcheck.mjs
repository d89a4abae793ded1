// The images' HEALTHCHECK: asks the service's own /healthz on the loopback interface.
//   node healthcheck.mjs <PORT_VARIABLE> <default port>
// The port variable is the service's (e.g. GATEWAY_PORT), so a changed port is still checked.
const [portVariable, defaultPort] = process.argv.slice(2);
const port = Number(process.env[portVariable] || defaultPort);

try {
  const response = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2_000) });
  process.exitCode = response.ok ? 0 : 1;
} catch (error) {
  console.error(`healthcheck: GET http://127.0.0.1:${port}/healthz failed: ${error.message}`);
  process.exitCode = 1;
}
