import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Outbox } from '../../services/agent/src/report';

// Finding 12 (issue 10): the agent's status outbox journal was world-readable (0644 files in
// 0755 directories) while its other state is 0600/0700. Reports name the cluster's objects.
describe('the agent’s status outbox on disk', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'flotilla-outbox-perms-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const modes = (dir: string) =>
    Object.fromEntries(readdirSync(dir).map((n) => [n, (statSync(path.join(dir, n)).mode & 0o777).toString(8)]));

  it('creates its directories 0700 and every file 0600, through appends and compactions', async () => {
    const dir = path.join(root, 'state', 'outbox');
    const outbox = await Outbox.open({ dir, compactMinBytes: 256 });
    const payload = new Uint8Array(200).fill(7);
    for (let i = 0; i < 20; i++)
      await outbox.enqueue({ subject: 'flotilla.v1.agent.c1.status.sync-started', msgId: `m${i}`, payload });
    expect((statSync(dir).mode & 0o777).toString(8)).toBe('700');
    expect((statSync(path.join(root, 'state')).mode & 0o777).toString(8)).toBe('700');
    const files = modes(dir);
    expect(Object.keys(files).length).toBeGreaterThan(0);
    for (const mode of Object.values(files)) expect(mode).toBe('600');
    await outbox.close();
  });

  it('tightens a directory an older agent left open', async () => {
    const dir = path.join(root, 'old');
    mkdirSync(dir, { mode: 0o755 });
    const outbox = await Outbox.open({ dir });
    await outbox.enqueue({
      subject: 'flotilla.v1.agent.c1.status.sync-started',
      msgId: 'm',
      payload: new Uint8Array(1),
    });
    expect((statSync(dir).mode & 0o777).toString(8)).toBe('700');
    for (const mode of Object.values(modes(dir))) expect(mode).toBe('600');
    await outbox.close();
  });
});
