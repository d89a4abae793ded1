import { startService, testIdentity } from '@cqrs-shop/testing';

const database = {
  MYSQL_HOST: process.env.MYSQL_HOST,
  MYSQL_PORT: process.env.MYSQL_PORT,
  MYSQL_USER: process.env.MYSQL_USER,
  MYSQL_PASSWORD: process.env.MYSQL_PASSWORD,
};

describe('command-service process', () => {
  it('exits with status 78 naming the variable when a configuration value is invalid', async () => {
    const service = startService('command-service', { ...database, COMMAND_PORT: 'eighty' });
    expect((await service.exited).code).toBe(78);
    expect(service.output()).toContain('command-service: invalid configuration:');
    expect(service.output()).toContain('COMMAND_PORT must be a whole number from 0 to 65535 (got "eighty")');
  });

  it('exits with status 78 naming the variable when a required value is missing', async () => {
    const service = startService('command-service', { ...database, MYSQL_PASSWORD: undefined });
    expect((await service.exited).code).toBe(78);
    expect(service.output()).toContain('MYSQL_PASSWORD is required');
  });

  it('refuses to start without a key set to check tokens with, unless authentication is switched off explicitly', async () => {
    const unguarded = startService('command-service', {
      ...database,
      COMMAND_PORT: '0',
      COMMAND_ADMIN_PORT: '0',
      REDIS_URL: process.env.REDIS_URL,
    });
    expect((await unguarded.exited).code).toBe(78);
    expect(unguarded.output()).toContain('AUTH_JWKS_URL is required, or AUTH_JWKS_FILE');

    const open = startService('command-service', {
      ...database,
      CONSISTENCY_TOKEN_KEY: testIdentity().env.CONSISTENCY_TOKEN_KEY,
      AUTH_DISABLED: 'true',
      COMMAND_PORT: '0',
      COMMAND_ADMIN_PORT: '0',
      REDIS_URL: process.env.REDIS_URL,
      HTTP_HOST: '127.0.0.1',
    });
    const ready = await fetch(`http://127.0.0.1:${await open.port()}/readyz`);
    expect(ready.status).toBe(200);
    expect(await open.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    expect(open.output()).toContain('authentication is off (AUTH_DISABLED=true)');
  });

  it('starts, reports ready once MySQL answers, and shuts down cleanly on SIGTERM', async () => {
    const service = startService('command-service', {
      ...database,
      ...testIdentity().env,
      COMMAND_PORT: '0',
      COMMAND_ADMIN_PORT: '0',
      REDIS_URL: process.env.REDIS_URL,
      HTTP_HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
    });
    const ready = await fetch(`http://127.0.0.1:${await service.port()}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { mysql: 'ok' } });

    expect(await service.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    expect(service.output()).toContain('"msg":"stopping"');
  });
});
