/**
 * An error caused by user input (a flag, a file, an expression). The CLI prints
 * its message as one line and exits with code 2, without a stack trace.
 * Messages should name the problem and the fix.
 */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

export function isUserError(e: unknown): e is UserError {
  return e instanceof UserError;
}
