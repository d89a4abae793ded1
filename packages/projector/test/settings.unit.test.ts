import { ConfigError, loadConfig } from '@cqrs-shop/config';
import { projectorSection } from '@cqrs-shop/projector';

const load = (env: Record<string, string>) =>
  loadConfig({ projector: projectorSection('group') }, env).projector;

describe('projector settings', () => {
  it('follows the live version every PROJECTOR_VERSION_POLL, 1s unless set', () => {
    expect(load({}).versionPollMs).toBe(1_000);
    expect(load({ PROJECTOR_VERSION_POLL: '250ms' }).versionPollMs).toBe(250);
  });

  it('refuses the former name of the setting, saying what it is called now', () => {
    expect(() => load({ PROJECTOR_TARGET_POLL: '250ms' })).toThrow(ConfigError);
    expect(() => load({ PROJECTOR_TARGET_POLL: '250ms' })).toThrow(
      /PROJECTOR_TARGET_POLL.*is now called PROJECTOR_VERSION_POLL/,
    );
  });
});
