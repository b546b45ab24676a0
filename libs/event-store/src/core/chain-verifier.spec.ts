import { ChainVerifier } from './chain-verifier';
import { genesisHash, hashEvent, type HashedEventContent } from './event-hash';

function chain(count: number) {
  const events = [];
  let prev = genesisHash;
  for (let i = 1; i <= count; i++) {
    const content: HashedEventContent = {
      position: i * 10,
      streamId: 's',
      version: i,
      id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      type: 'A',
      schemaVersion: 1,
      data: { i },
      metadata: { actor: 'x' },
      recordedAt: new Date(1_700_000_000_000 + i),
    };
    const hash = hashEvent(content, prev);
    events.push({ ...content, hash, prevHash: prev });
    prev = hash;
  }
  return events;
}

describe('ChainVerifier', () => {
  it('accepts an intact chain (with position gaps) and reports its head', () => {
    const events = chain(4);
    const verifier = new ChainVerifier();
    events.forEach((e) => verifier.feed(e));
    expect(verifier.result()).toEqual({ ok: true, checked: 4, headPosition: 40, headHash: events[3]!.hash });
  });

  it('names an altered event', () => {
    const events = chain(4);
    events[2] = { ...events[2]!, data: { i: 99 } };
    const verifier = new ChainVerifier();
    events.forEach((e) => verifier.feed(e));
    expect(verifier.result()).toMatchObject({ ok: false, brokenAt: 30, checked: 2 });
  });

  it('names the event after a removed one, and a reordering', () => {
    const removed = chain(4);
    removed.splice(1, 1);
    const v1 = new ChainVerifier();
    removed.forEach((e) => v1.feed(e));
    expect(v1.result()).toMatchObject({ ok: false, brokenAt: 30 });

    const swapped = chain(3);
    const v2 = new ChainVerifier();
    [swapped[0]!, swapped[2]!, swapped[1]!].forEach((e) => v2.feed(e));
    expect(v2.result()).toMatchObject({ ok: false, brokenAt: 30 });
  });

  it('refuses a rewritten first event even with a recomputed hash, since it must start at genesis', () => {
    const events = chain(2);
    const forged = { ...events[0]!, prevHash: '1'.repeat(64) };
    forged.hash = hashEvent(forged, forged.prevHash);
    const verifier = new ChainVerifier();
    verifier.feed(forged);
    expect(verifier.result()).toMatchObject({ ok: false, brokenAt: 10 });
  });
});
