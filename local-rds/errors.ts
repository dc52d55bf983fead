// Errors as the RDS API returns them: an AWS error code, the HTTP status AWS uses for it,
// and a message that says what is wrong. The SDK turns the code into its typed exception.
export class RdsApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly httpStatus = 400,
  ) {
    super(message);
    this.name = 'RdsApiError';
  }
}

export const notFoundInstance = (id: string) => new RdsApiError('DBInstanceNotFound', `DBInstance ${id} not found.`, 404);
export const notFoundSnapshot = (id: string) => new RdsApiError('DBSnapshotNotFound', `DBSnapshot ${id} not found.`, 404);
export const invalidValue = (message: string) => new RdsApiError('InvalidParameterValue', message);
export const invalidCombination = (message: string) => new RdsApiError('InvalidParameterCombination', message);
