// The one error type of the contract. Browser-safe: imports nothing.

export const ERROR_CODES = {
  invalid_input: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  deployment_failed: 422,
  rate_limited: 429,
  internal: 500,
  not_implemented: 501,
  upstream: 502,
  unavailable: 503,
  timeout: 504,
  insufficient_storage: 507,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface ErrorBody {
  code: ErrorCode;
  message: string;
  hint?: string;
  details?: unknown;
}

export class HostingError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly hint: string | undefined;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, opts: { hint?: string; details?: unknown; status?: number } = {}) {
    super(message);
    this.name = "HostingError";
    this.code = code;
    this.status = opts.status ?? ERROR_CODES[code];
    this.hint = opts.hint;
    this.details = opts.details;
  }

  toJSON(): { error: ErrorBody } {
    const error: ErrorBody = { code: this.code, message: this.message };
    if (this.hint !== undefined) error.hint = this.hint;
    if (this.details !== undefined) error.details = this.details;
    return { error };
  }

  /** Rebuilds the error from an API body `{ error: {...} }`, or wraps anything else. */
  static fromBody(body: unknown, status?: number): HostingError {
    const e = (body as { error?: Partial<ErrorBody> } | null)?.error;
    if (e && typeof e === "object" && typeof e.code === "string" && e.code in ERROR_CODES) {
      const opts: { hint?: string; details?: unknown; status: number } = {
        status: status ?? ERROR_CODES[e.code as ErrorCode],
      };
      if (e.hint !== undefined) opts.hint = e.hint;
      if (e.details !== undefined) opts.details = e.details;
      return new HostingError(e.code as ErrorCode, e.message ?? e.code, opts);
    }
    if (status === undefined) return new HostingError("upstream", "unexpected error response");
    return new HostingError(codeForStatus(status), `unexpected response (HTTP ${status})`, { status });
  }
}

export function codeForStatus(status: number): ErrorCode {
  for (const [code, s] of Object.entries(ERROR_CODES)) if (s === status) return code as ErrorCode;
  if (status >= 500) return "upstream";
  return "invalid_input";
}

export function isHostingError(e: unknown): e is HostingError {
  return e instanceof HostingError || (e instanceof Error && e.name === "HostingError" && "code" in e);
}
