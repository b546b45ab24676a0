import { spawn } from 'node:child_process';
import path from 'node:path';

// The README's first command, run non-interactively as CI would: the whole story must go
// through and the log must hold its events, with the hash chain intact.
describe('npm start (the demo), with --once', () => {
  it('registers three clusters, rolls two commits out to one group, reports a drift, and leaves a verified log', async () => {
    const root = path.join(__dirname, '..', '..');
    const env = { ...process.env };
    delete env.NODE_OPTIONS;
    const child = spawn(process.execPath, [path.join(root, 'tools/run-ts.js'), 'scripts/demo.ts', '--once'], {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));

    expect({ code, output }).toMatchObject({ code: 0 });
    expect(output).toMatch(/hub is healthy/);
    expect(output).toMatch(/The web console: http:\/\/127\.0\.0\.1:\d+\/ +\(sign in with the token demo-admin-/);
    for (const name of ['eu-1', 'eu-2', 'us-1'])
      expect(output).toMatch(new RegExp(`cluster ${name} \\(c\\w+\\) is connected`));
    expect(output).toMatch(/cluster group prod: .* -> members: eu-1, us-1/);
    expect(output).toMatch(/cluster group eu: .* -> members: eu-1, eu-2/);
    expect(output).toMatch(/ClusterRegistered x3/);
    expect(output).toMatch(/ClusterConnected x3/);
    // The GitOps story: two commits reach exactly the prod group (eu-1, us-1), and a hand edit on eu-1 is drift.
    for (const name of ['eu-1', 'us-1'])
      expect(output.match(new RegExp(`web on ${name}: synced, healthy`, 'g'))).toHaveLength(2);
    expect(output).not.toMatch(/web on eu-2/);
    expect(output).toMatch(/CommitObserved x2/);
    expect(output).toMatch(/DesiredStateAssigned x4/);
    expect(output).toMatch(/SyncSucceeded x\d+/);
    expect(output).toMatch(/DriftDetected x\d+/);
    expect(output).toMatch(
      /drift on eu-1: ConfigMap\/web-config \/data\/greeting: git says "hello again", the cluster has "edited by hand"/,
    );
    expect(output).toMatch(/audit: the hash chain verifies over \d+ events/);
  }, 180_000);
});
