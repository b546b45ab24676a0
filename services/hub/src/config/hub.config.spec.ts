import { loadHubConfig } from './hub.config';
import { HubConfigError } from './load-settings';

describe('hub config', () => {
  it('applies the defaults', () => {
    const config = loadHubConfig({});
    expect(config.FLOTILLA_HUB_HTTP_PORT).toBe(8080);
    expect(config.FLOTILLA_HUB_ADMIN_TOKEN).toBeUndefined();
  });
  it('ignores variables of other services and empty values', () => {
    expect(loadHubConfig({ FLOTILLA_AGENT_X: 'y', FLOTILLA_HUB_HTTP_PORT: '' }).FLOTILLA_HUB_HTTP_PORT).toBe(8080);
  });
  it('names the bad variable without echoing its value', () => {
    const secret = 'short-secret';
    try {
      loadHubConfig({ FLOTILLA_HUB_HTTP_PORT: 'eighty', FLOTILLA_HUB_ADMIN_TOKEN: secret });
      throw new Error('expected a HubConfigError');
    } catch (err) {
      expect(err).toBeInstanceOf(HubConfigError);
      expect((err as Error).message).toContain('FLOTILLA_HUB_HTTP_PORT');
      expect((err as Error).message).toContain('FLOTILLA_HUB_ADMIN_TOKEN');
      expect((err as Error).message).not.toContain(secret);
    }
  });
  it('exports no spans unless told, and refuses an unknown exporter', () => {
    expect(loadHubConfig({}).FLOTILLA_HUB_TRACES_EXPORTER).toBe('none');
    expect(loadHubConfig({ FLOTILLA_HUB_TRACES_EXPORTER: 'otlp' }).FLOTILLA_HUB_TRACES_EXPORTER).toBe('otlp');
    expect(() => loadHubConfig({ FLOTILLA_HUB_TRACES_EXPORTER: 'jaeger' })).toThrow(/FLOTILLA_HUB_TRACES_EXPORTER/);
  });
});
