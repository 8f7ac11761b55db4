// The CLI's exit codes, defined once: commands throw HostingError, main maps its code here,
// and `--help` prints the same table.

export const EXIT = {
  ok: 0,
  error: 1,
  invalidInput: 2,
  unauthorized: 3,
  notFound: 4,
  conflict: 5,
  unreachable: 6,
  interrupted: 130,
} as const;

const BY_ERROR_CODE: Record<string, number> = {
  invalid_input: EXIT.invalidInput,
  payload_too_large: EXIT.invalidInput,
  unauthorized: EXIT.unauthorized,
  forbidden: EXIT.unauthorized,
  not_found: EXIT.notFound,
  conflict: EXIT.conflict,
  unavailable: EXIT.unreachable,
  timeout: EXIT.unreachable,
  interrupted: EXIT.interrupted,
};

/** The exit code for an error code of the contract (HostingError.code). */
export function exitCodeFor(code: string | undefined): number {
  return (code ? BY_ERROR_CODE[code] : undefined) ?? EXIT.error;
}

export const EXIT_CODES_HELP = `
Exit codes:
  0    ok
  1    error
  2    invalid input or usage
  3    unauthorized or forbidden
  4    not found
  5    conflict
  6    cannot reach the API, or it timed out
  130  interrupted`;

/** The user declined a prompt or pressed Ctrl-C inside one. */
export class Interrupted extends Error {
  readonly code = "interrupted";
  constructor(message = "canceled") {
    super(message);
    this.name = "Interrupted";
  }
}
