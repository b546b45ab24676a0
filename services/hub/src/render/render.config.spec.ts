import { HubConfigError } from '../config/load-settings';
import { createApplicationRenderer, loadRenderConfig } from './render.config';

const quiet = { log: () => undefined, warn: () => undefined };

describe('render configuration', () => {
  it('given a configured helm path that does not exist, when the hub starts, then it refuses with the variable named', () => {
    const config = loadRenderConfig({ FLOTILLA_HUB_HELM: '/nonexistent/helm' });
    expect(() => createApplicationRenderer(config, quiet)).toThrow(HubConfigError);
    expect(() => createApplicationRenderer(config, quiet)).toThrow(
      /FLOTILLA_HUB_HELM=\/nonexistent\/helm: no such file/,
    );
  });

  it('given a configured kubectl that is not kubectl, when the hub starts, then it refuses', () => {
    const config = loadRenderConfig({ FLOTILLA_HUB_KUBECTL: '/bin/false' });
    expect(() => createApplicationRenderer(config, quiet)).toThrow(/FLOTILLA_HUB_KUBECTL=\/bin\/false does not run/);
  });

  it('given bad values, when loaded, then each variable is named', () => {
    expect(() =>
      loadRenderConfig({ FLOTILLA_HUB_RENDER_TIMEOUT_MS: 'soon', FLOTILLA_HUB_RENDER_DEFAULT_KUBE_VERSION: '1.30' }),
    ).toThrow(/FLOTILLA_HUB_RENDER_TIMEOUT_MS.*FLOTILLA_HUB_RENDER_DEFAULT_KUBE_VERSION/);
    // Below what a Go tool reserves before it allocates anything: every render would fail.
    expect(() => loadRenderConfig({ FLOTILLA_HUB_RENDER_MAX_MEMORY_BYTES: String(512 * 1024 * 1024) })).toThrow(
      /FLOTILLA_HUB_RENDER_MAX_MEMORY_BYTES/,
    );
  });

  it('given OCI plain-HTTP hosts, when loaded, then they are a list and one that is not host[:port] is refused', () => {
    expect(loadRenderConfig({}).FLOTILLA_HUB_CHART_OCI_PLAIN_HTTP_HOSTS).toEqual([]);
    expect(
      loadRenderConfig({ FLOTILLA_HUB_CHART_OCI_PLAIN_HTTP_HOSTS: 'registry.lab:5000, mirror.lab' })
        .FLOTILLA_HUB_CHART_OCI_PLAIN_HTTP_HOSTS,
    ).toEqual(['registry.lab:5000', 'mirror.lab']);
    expect(() => loadRenderConfig({ FLOTILLA_HUB_CHART_OCI_PLAIN_HTTP_HOSTS: 'http://registry.lab' })).toThrow(
      /FLOTILLA_HUB_CHART_OCI_PLAIN_HTTP_HOSTS/,
    );
  });
});
