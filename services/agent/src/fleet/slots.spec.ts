import { Slots } from './slots';

const never = new AbortController().signal;

describe('Slots', () => {
  test('hands out at most `size` slots; a release lets the next waiter in, in order', async () => {
    const slots = new Slots(2);
    const a = await slots.acquire(never);
    const b = await slots.acquire(never);
    const order: string[] = [];
    const c = slots.acquire(never).then((r) => (order.push('c'), r));
    const d = slots.acquire(never).then((r) => (order.push('d'), r));
    await Promise.resolve();
    expect(order).toEqual([]);
    a!();
    expect(await c).toBeInstanceOf(Function);
    expect(order).toEqual(['c']);
    b!();
    await d;
    expect(order).toEqual(['c', 'd']);
  });

  test('releasing twice frees one slot only', async () => {
    const slots = new Slots(1);
    const a = await slots.acquire(never);
    a!();
    a!();
    const b = await slots.acquire(never);
    let third = false;
    void slots.acquire(never).then(() => (third = true));
    await new Promise((r) => setImmediate(r));
    expect(third).toBe(false);
    b!();
    await new Promise((r) => setImmediate(r));
    expect(third).toBe(true);
  });

  test('an aborted waiter gets nothing and leaves the queue; closing answers every waiter with nothing', async () => {
    const slots = new Slots(1);
    const held = await slots.acquire(never);
    const abort = new AbortController();
    const aborted = slots.acquire(abort.signal);
    const waiting = slots.acquire(never);
    abort.abort();
    expect(await aborted).toBeUndefined();
    slots.close();
    expect(await waiting).toBeUndefined();
    held!();
    expect(await slots.acquire(never)).toBeUndefined();
  });
});
