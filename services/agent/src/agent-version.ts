import packageJson from '../package.json';

// Reported at registration and in every heartbeat.
export const agentVersion: string = packageJson.version;
