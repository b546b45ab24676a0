import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

// Fails when proto/ changed but libs/contracts/src/gen was not regenerated (`npm run generate`):
// a fresh clone uses the committed generated code, so it must match the proto sources.
const root = path.resolve(__dirname, '../../..');
const committed = path.join(__dirname, 'gen');

function listFiles(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? listFiles(path.join(dir, entry.name), `${prefix}${entry.name}/`) : [`${prefix}${entry.name}`],
  );
}

describe('generated contracts', () => {
  it('match proto/ (run `npm run generate` if this fails)', () => {
    const out = mkdtempSync(path.join(tmpdir(), 'flotilla-gen-'));
    try {
      const template = JSON.stringify({
        version: 'v2',
        plugins: [{ local: 'protoc-gen-es', out, opt: ['target=ts'] }],
      });
      // protoc-gen-es is a node script: put this (pinned) node first on PATH.
      const env = {
        ...process.env,
        PATH: `${path.dirname(process.execPath)}:${path.join(root, 'node_modules/.bin')}:${process.env.PATH}`,
      };
      const result = spawnSync(
        path.join(root, 'node_modules/.bin/buf'),
        ['generate', '--template', template, 'proto'],
        { cwd: root, env, encoding: 'utf8' },
      );
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      const fresh = listFiles(out).sort();
      expect(listFiles(committed).sort()).toEqual(fresh);
      for (const file of fresh) {
        expect({ file, text: readFileSync(path.join(committed, file), 'utf8') }).toEqual({
          file,
          text: readFileSync(path.join(out, file), 'utf8'),
        });
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
