import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigFileError, NotLoggedInError, UsageError } from '../errors';
import {
  configFilePath,
  isReadableByOthers,
  normalizeHubUrl,
  readConfigFile,
  resolveConnection,
  writeConfigFile,
} from './cli-config';

describe('CLI config', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'flotilla-cli-config-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('finds the file: FLOTILLA_CONFIG, else XDG_CONFIG_HOME (absolute only), else ~/.config', () => {
    expect(configFilePath({ FLOTILLA_CONFIG: '/etc/f.yaml', XDG_CONFIG_HOME: '/x' })).toBe('/etc/f.yaml');
    expect(configFilePath({ XDG_CONFIG_HOME: '/x', HOME: '/home/a' })).toBe('/x/flotilla/config.yaml');
    expect(configFilePath({ XDG_CONFIG_HOME: 'relative', HOME: '/home/a' })).toBe(
      '/home/a/.config/flotilla/config.yaml',
    );
  });

  it('writes 0600 in a 0700 directory, keeps unknown keys, and reads back', () => {
    const file = path.join(dir, 'nested', 'flotilla', 'config.yaml');
    writeConfigFile(file, { hub: 'http://hub:8080', token: 'flt_api_x', future: { a: 1 } });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    expect(readConfigFile(file)).toEqual({ hub: 'http://hub:8080', token: 'flt_api_x', future: { a: 1 } });
    expect(isReadableByOthers(file)).toBe(false);
    // Rewriting a file that was made world-readable by hand tightens it again.
    chmodSync(file, 0o644);
    expect(isReadableByOthers(file)).toBe(true);
    writeConfigFile(file, { hub: 'http://hub:8080', token: 'flt_api_y' });
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('treats a missing file as empty and a broken one as an error naming the file', () => {
    expect(readConfigFile(path.join(dir, 'absent.yaml'))).toEqual({});
    const broken = path.join(dir, 'broken.yaml');
    writeFileSync(broken, 'hub: [unclosed');
    expect(() => readConfigFile(broken)).toThrow(ConfigFileError);
    expect(() => readConfigFile(broken)).toThrow(`config file ${broken}: not valid YAML`);
    writeFileSync(broken, 'hub: 3');
    expect(() => readConfigFile(broken)).toThrow('"hub" must be a string');
    expect(readFileSync(broken, 'utf8')).toBe('hub: 3');
  });

  it('resolves flags over environment over file', () => {
    const file = { hub: 'http://file:1', token: 'file-token' };
    const env = { FLOTILLA_HUB_URL: 'http://env:2/', FLOTILLA_TOKEN: 'env-token' };
    expect(resolveConnection({}, {}, file)).toMatchObject({ hubUrl: 'http://file:1', token: 'file-token' });
    expect(resolveConnection({}, env, file)).toMatchObject({ hubUrl: 'http://env:2', token: 'env-token' });
    expect(resolveConnection({ hub: 'https://flag:3/prefix/', token: 'flag-token' }, env, file)).toMatchObject({
      hubUrl: 'https://flag:3/prefix',
      token: 'flag-token',
    });
    expect(() => resolveConnection({}, {}, {})).toThrow(NotLoggedInError);
    expect(() => resolveConnection({}, {}, { hub: 'http://h' })).toThrow('no API token configured');
    expect(() => resolveConnection({}, { FLOTILLA_REQUEST_TIMEOUT_MS: 'soon' }, file)).toThrow(UsageError);
  });

  it('accepts only plain http(s) hub URLs, naming where the bad one came from', () => {
    expect(normalizeHubUrl('http://127.0.0.1:8080/', '--hub')).toBe('http://127.0.0.1:8080');
    expect(() => normalizeHubUrl('hub.example.com', '--hub')).toThrow('--hub "hub.example.com" is not a URL');
    expect(() => normalizeHubUrl('nats://hub:4222', 'FLOTILLA_HUB_URL')).toThrow('not nats');
    expect(() => normalizeHubUrl('https://u:secret@hub', '--hub')).toThrow('not in the URL');
  });
});
