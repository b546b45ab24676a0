/** The fleet's options are wrong (duplicate or invalid cluster names, no bootstrap creds): nothing was started. */
export class FleetConfigError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FleetConfigError';
  }
}

/** Not every simulated agent registered and connected in time, or one of them stopped with an error. */
export class FleetNotReadyError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FleetNotReadyError';
  }
}

/** The hub refused or did not answer a REST call made for the fleet (a registration token). */
export class HubRequestError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'HubRequestError';
  }
}
