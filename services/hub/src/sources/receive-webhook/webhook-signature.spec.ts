import { createHmac } from 'node:crypto';
import { detectProvider, isPing, verifyWebhook } from './webhook-signature';

const secret = 's3cret';
const body = Buffer.from('{"ref":"refs/heads/main"}');
const hex = (key: string) => createHmac('sha256', key).update(body).digest('hex');

describe('webhook signatures', () => {
  it('recognises Gitea before GitHub (Gitea sends both header families)', () => {
    expect(detectProvider({ 'x-gitea-signature': 'x', 'x-hub-signature-256': 'y' })).toBe('gitea');
    expect(detectProvider({ 'x-github-event': 'push' })).toBe('github');
    expect(detectProvider({ 'x-gitlab-event': 'Push Hook' })).toBe('gitlab');
    expect(detectProvider({})).toBe('unknown');
  });
  it('accepts the right signature of each provider and refuses a wrong one', () => {
    expect(verifyWebhook({ 'x-hub-signature-256': `sha256=${hex(secret)}` }, body, secret)).toEqual({
      provider: 'github',
      ok: true,
    });
    expect(verifyWebhook({ 'x-gitea-signature': hex(secret) }, body, secret)).toEqual({ provider: 'gitea', ok: true });
    expect(verifyWebhook({ 'x-gitlab-token': secret }, body, secret)).toEqual({ provider: 'gitlab', ok: true });
    expect(verifyWebhook({ 'x-hub-signature-256': `sha256=${hex('other')}` }, body, secret)).toMatchObject({
      ok: false,
      reason: 'invalid-signature',
    });
    expect(verifyWebhook({ 'x-hub-signature-256': hex(secret) }, body, secret)).toMatchObject({ ok: false });
    expect(verifyWebhook({ 'x-gitlab-token': `${secret}x` }, body, secret)).toMatchObject({ ok: false });
    expect(verifyWebhook({ 'x-gitlab-token': secret.slice(0, -1) }, body, secret)).toMatchObject({ ok: false });
    expect(verifyWebhook({ 'x-github-event': 'push' }, body, secret)).toMatchObject({
      provider: 'github',
      ok: false,
      reason: 'missing-signature',
    });
  });
  it('signs the exact bytes', () => {
    const other = Buffer.from('{"ref": "refs/heads/main"}');
    expect(verifyWebhook({ 'x-gitea-signature': hex(secret) }, other, secret)).toMatchObject({ ok: false });
  });
  it('knows a GitHub ping', () => {
    expect(isPing({ 'x-github-event': 'ping' })).toBe(true);
    expect(isPing({ 'x-github-event': 'push' })).toBe(false);
  });
});
