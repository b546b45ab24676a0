import { ValidationError } from '../errors';
import { validateBranch, validateSecretRef, validateSourceUrl } from './source-location';

describe('source location rules', () => {
  it.each([
    ['https://github.com/org/apps.git', 'https'],
    ['ssh://git@github.com:2222/org/apps.git', 'ssh'],
    ['git@github.com:org/apps.git', 'ssh'],
    ['file:///srv/git/apps.git', 'file'],
  ])('accepts %s as %s', (url, scheme) => {
    expect(validateSourceUrl(url)).toEqual({ url, scheme });
  });
  it.each([
    'https://user:pass@github.com/org/apps.git',
    'https://ghp_token@github.com/org/apps.git',
    'https://github.com/org/apps.git?token=x',
    'git://github.com/org/apps.git',
    'file://host/srv/apps.git',
    'https://github.com/',
    'https://github.com/org/apps .git',
    '-oProxyCommand=x@host:path',
    '-x@host:path',
    '',
  ])('refuses %s', (url) => {
    expect(() => validateSourceUrl(url)).toThrow(ValidationError);
  });
  it.each(['main', 'release/1.x', 'feature_a-b'])('accepts the branch %s', (branch) => {
    expect(validateBranch(branch)).toBe(branch);
  });
  it.each(['-x', 'a b', 'a..b', 'x.lock', 'a/', '/a', 'a:b', 'a@{1}', '.hidden', 'a/.b'])(
    'refuses the branch %s',
    (b) => {
      expect(() => validateBranch(b)).toThrow(ValidationError);
    },
  );
  it('keeps secret references to plain file names', () => {
    expect(validateSecretRef('github-deploy.key', 'credentialsRef')).toBe('github-deploy.key');
    for (const bad of ['..', '../x', 'a/b', 'A', '.x', 'x.'])
      expect(() => validateSecretRef(bad, 'credentialsRef')).toThrow(ValidationError);
  });
});
