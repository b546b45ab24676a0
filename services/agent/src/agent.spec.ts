import { classifyConnectionError } from './agent';
import { CredentialsRevokedError, RegistrationUnavailableError } from './errors';
import type { CredentialsStore } from './credentials/agent-credentials';

const store = { description: 'the file creds.json' } as CredentialsStore;

describe('classifyConnectionError', () => {
  it('given an Authorization Violation or an announced revocation, then the credentials are refused (exit 4)', () => {
    for (const message of ['Authorization Violation', "'User Authentication Revoked'", 'User Authentication Expired']) {
      const error = classifyConnectionError(new Error(message), store);
      expect(error).toBeInstanceOf(CredentialsRevokedError);
      expect(error.message).toContain('creds.json');
    }
  });

  it('given an Authentication Timeout (a busy server), then it is retryable and says nothing of revocation', () => {
    const error = classifyConnectionError(new Error("'Authentication Timeout'"), store);
    expect(error).toBeInstanceOf(RegistrationUnavailableError);
    expect(error.retryable).toBe(true);
    expect(error.message).not.toMatch(/revoked|deregistered|remove the credentials/i);
  });
});
