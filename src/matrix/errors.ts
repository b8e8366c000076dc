// Matrix standard errors ({errcode, error} with an HTTP status), shared by the protocol
// core and the HTTP layer so a validation failure deep in the core reaches the client
// unchanged. Error codes are those the spec defines (client-server "Standard error
// response" and the codes used across the API definitions).

export const ErrCode = {
  FORBIDDEN: 'M_FORBIDDEN',
  UNKNOWN_TOKEN: 'M_UNKNOWN_TOKEN',
  MISSING_TOKEN: 'M_MISSING_TOKEN',
  USER_LOCKED: 'M_USER_LOCKED',
  USER_SUSPENDED: 'M_USER_SUSPENDED',
  BAD_JSON: 'M_BAD_JSON',
  NOT_JSON: 'M_NOT_JSON',
  NOT_FOUND: 'M_NOT_FOUND',
  LIMIT_EXCEEDED: 'M_LIMIT_EXCEEDED',
  UNRECOGNIZED: 'M_UNRECOGNIZED',
  UNKNOWN: 'M_UNKNOWN',
  UNAUTHORIZED: 'M_UNAUTHORIZED',
  USER_DEACTIVATED: 'M_USER_DEACTIVATED',
  USER_IN_USE: 'M_USER_IN_USE',
  INVALID_USERNAME: 'M_INVALID_USERNAME',
  ROOM_IN_USE: 'M_ROOM_IN_USE',
  INVALID_ROOM_STATE: 'M_INVALID_ROOM_STATE',
  THREEPID_IN_USE: 'M_THREEPID_IN_USE',
  THREEPID_NOT_FOUND: 'M_THREEPID_NOT_FOUND',
  THREEPID_AUTH_FAILED: 'M_THREEPID_AUTH_FAILED',
  THREEPID_DENIED: 'M_THREEPID_DENIED',
  THREEPID_MEDIUM_NOT_SUPPORTED: 'M_THREEPID_MEDIUM_NOT_SUPPORTED',
  SERVER_NOT_TRUSTED: 'M_SERVER_NOT_TRUSTED',
  UNSUPPORTED_ROOM_VERSION: 'M_UNSUPPORTED_ROOM_VERSION',
  INCOMPATIBLE_ROOM_VERSION: 'M_INCOMPATIBLE_ROOM_VERSION',
  BAD_STATE: 'M_BAD_STATE',
  GUEST_ACCESS_FORBIDDEN: 'M_GUEST_ACCESS_FORBIDDEN',
  CAPTCHA_NEEDED: 'M_CAPTCHA_NEEDED',
  CAPTCHA_INVALID: 'M_CAPTCHA_INVALID',
  MISSING_PARAM: 'M_MISSING_PARAM',
  INVALID_PARAM: 'M_INVALID_PARAM',
  TOO_LARGE: 'M_TOO_LARGE',
  EXCLUSIVE: 'M_EXCLUSIVE',
  RESOURCE_LIMIT_EXCEEDED: 'M_RESOURCE_LIMIT_EXCEEDED',
  CANNOT_LEAVE_SERVER_NOTICE_ROOM: 'M_CANNOT_LEAVE_SERVER_NOTICE_ROOM',
  WEAK_PASSWORD: 'M_WEAK_PASSWORD',
  TERMS_NOT_SIGNED: 'M_TERMS_NOT_SIGNED',
  INVITE_BLOCKED: 'M_INVITE_BLOCKED',
  BAD_ALIAS: 'M_BAD_ALIAS',
  INVALID_SIGNATURE: 'M_INVALID_SIGNATURE',
  WRONG_ROOM_KEYS_VERSION: 'M_WRONG_ROOM_KEYS_VERSION',
  NOT_YET_UPLOADED: 'M_NOT_YET_UPLOADED',
  CANNOT_OVERWRITE_MEDIA: 'M_CANNOT_OVERWRITE_MEDIA',
  UNABLE_TO_AUTHORISE_JOIN: 'M_UNABLE_TO_AUTHORISE_JOIN',
  UNABLE_TO_GRANT_JOIN: 'M_UNABLE_TO_GRANT_JOIN',
  SESSION_NOT_VALIDATED: 'M_SESSION_NOT_VALIDATED',
  UNKNOWN_POS: 'M_UNKNOWN_POS',
  URL_NOT_SET: 'M_URL_NOT_SET',
  BAD_STATUS: 'M_BAD_STATUS',
  CONNECTION_FAILED: 'M_CONNECTION_FAILED',
  CONNECTION_TIMEOUT: 'M_CONNECTION_TIMEOUT',
  APPSERVICE_LOGIN_UNSUPPORTED: 'M_APPSERVICE_LOGIN_UNSUPPORTED',
  PROFILE_TOO_LARGE: 'M_PROFILE_TOO_LARGE',
  KEY_TOO_LARGE: 'M_KEY_TOO_LARGE',
} as const;

export type ErrCodeValue = (typeof ErrCode)[keyof typeof ErrCode];

/** The JSON body of a Matrix error response. */
export interface MatrixErrorBody {
  errcode: string;
  error: string;
  [key: string]: unknown;
}

export class MatrixError extends Error {
  override name = 'MatrixError';
  readonly status: number;
  readonly errcode: string;
  readonly error: string;
  /** Extra top-level response fields, e.g. `retry_after_ms`, `room_version`. */
  readonly extra: Record<string, unknown> | undefined;

  constructor(status: number, errcode: string, error: string, extra?: Record<string, unknown>) {
    super(`${errcode}: ${error}`);
    this.status = status;
    this.errcode = errcode;
    this.error = error;
    this.extra = extra;
  }

  /** The response body; `extra` cannot override errcode/error. */
  toJSON(): MatrixErrorBody {
    return { ...this.extra, errcode: this.errcode, error: this.error };
  }
}

// Shorthands for the errors the core raises most often.
export const badJson = (error: string, extra?: Record<string, unknown>) =>
  new MatrixError(400, ErrCode.BAD_JSON, error, extra);
export const invalidParam = (error: string, extra?: Record<string, unknown>) =>
  new MatrixError(400, ErrCode.INVALID_PARAM, error, extra);
export const tooLarge = (error: string) => new MatrixError(413, ErrCode.TOO_LARGE, error);
export const forbidden = (error: string) => new MatrixError(403, ErrCode.FORBIDDEN, error);
