import { execFile } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * A network namespace of the test's own, joined to the host by a veth pair (iproute2): a
 * process started in it with `ip netns exec` reaches the host only through `hostIp`, and
 * `cut(port)` makes that port unreachable from it by dropping its packets both ways (nftables
 * in the namespace: nothing on the host changes), as a network partition does: no reset, no
 * refusal, the packets just vanish. Needs root (CI and the dev machines run as root).
 */
export interface NetworkNamespace {
  name: string;
  /** The host end of the veth pair: what processes in the namespace connect to. */
  hostIp: string;
  /** The namespace's end. */
  nsIp: string;
  cut(port: number): Promise<void>;
  restore(): Promise<void>;
  /** Deletes the namespace and the veth pair; safe to call twice, and after a failed create. */
  dispose(): Promise<void>;
}

/** Every namespace and veth this file makes is named with this prefix and the pid of the Jest worker that made it. */
const prefix = 'flt-part-';

async function ip(...args: string[]): Promise<string> {
  try {
    return (await run('ip', args)).stdout;
  } catch (err) {
    const e = err as { code?: string; stderr?: string; message: string };
    if (e.code === 'ENOENT')
      throw new Error(
        '`ip` not found: install the Debian package iproute2 (the partition test needs network namespaces)',
        {
          cause: err,
        },
      );
    throw new Error(`ip ${args.join(' ')} failed: ${e.stderr?.trim() || e.message}`, { cause: err });
  }
}

/** Namespaces left by a test run whose process is gone (killed before its afterAll ran). */
async function removeStale(): Promise<void> {
  const listed = await ip('netns', 'list').catch(() => '');
  for (const line of listed.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const pid = /^flt-part-(\d+)-/.exec(name)?.[1];
    if (!pid) continue;
    try {
      process.kill(Number(pid), 0);
    } catch {
      await ip('netns', 'del', name).catch(() => undefined);
    }
  }
}

export async function createNetworkNamespace(): Promise<NetworkNamespace> {
  await removeStale();
  const tag = randomBytes(3).toString('hex');
  const name = `${prefix}${process.pid}-${tag}`;
  // Interface names are at most 15 characters.
  const hostVeth = `fph${tag}`;
  const nsVeth = `fpn${tag}`;
  // A /30 of 10.231.0.0/16 that no interface of this machine uses yet.
  const inUse = await ip('-4', '-o', 'addr');
  let base: string;
  do base = `10.231.${randomInt(0, 256)}.${randomInt(0, 64) * 4}`;
  while (inUse.includes(` ${base.split('.').slice(0, 3).join('.')}.`));
  const [a, b, c, d] = base.split('.').map(Number);
  const hostIp = `${a}.${b}.${c}.${d! + 1}`;
  const nsIp = `${a}.${b}.${c}.${d! + 2}`;
  let disposed = false;
  const dispose = async () => {
    if (disposed) return;
    disposed = true;
    await ip('netns', 'del', name).catch(() => undefined);
    // Deleting the namespace destroys the pair; this is for a create that failed half-way.
    await ip('link', 'del', hostVeth).catch(() => undefined);
  };
  const inNs = (...args: string[]) => ip('netns', 'exec', name, ...args);
  try {
    await ip('netns', 'add', name);
    await ip('link', 'add', hostVeth, 'type', 'veth', 'peer', 'name', nsVeth);
    await ip('link', 'set', nsVeth, 'netns', name);
    await ip('addr', 'add', `${hostIp}/30`, 'dev', hostVeth);
    await ip('link', 'set', hostVeth, 'up');
    await ip('-n', name, 'addr', 'add', `${nsIp}/30`, 'dev', nsVeth);
    await ip('-n', name, 'link', 'set', nsVeth, 'up');
    await ip('-n', name, 'link', 'set', 'lo', 'up');
  } catch (err) {
    await dispose();
    throw new Error(
      `cannot create the network namespace ${name} (run the test as root, with iproute2 installed): ${(err as Error).message}`,
      { cause: err },
    );
  }
  return {
    name,
    hostIp,
    nsIp,
    async cut(port) {
      const rules = `table inet flotilla_cut {
  chain out { type filter hook output priority 0; ip daddr ${hostIp} tcp dport ${port} drop; }
  chain in { type filter hook input priority 0; ip saddr ${hostIp} tcp sport ${port} drop; }
}`;
      try {
        await new Promise<void>((resolve, reject) => {
          const child = execFile('ip', ['netns', 'exec', name, 'nft', '-f', '-'], (err, _out, stderr) =>
            err ? reject(new Error(`nft failed: ${stderr.trim() || err.message}`, { cause: err })) : resolve(),
          );
          child.stdin!.end(rules);
        });
      } catch (err) {
        throw new Error(`cannot cut port ${port} in ${name} (install the Debian package nftables)`, { cause: err });
      }
    },
    async restore() {
      await inNs('nft', 'delete', 'table', 'inet', 'flotilla_cut');
    },
    dispose,
  };
}
