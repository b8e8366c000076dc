import { describe, expect, it } from 'vitest';
import { badJson, ErrCode, forbidden, invalidParam, MatrixError, tooLarge } from '../../../src/matrix/errors';

describe('MatrixError', () => {
  it('carries status, errcode and error, and serialises to the standard error body', () => {
    const e = new MatrixError(429, ErrCode.LIMIT_EXCEEDED, 'Too many requests', { retry_after_ms: 2000 });
    expect(e).toBeInstanceOf(Error);
    expect(e.status).toBe(429);
    expect(e.errcode).toBe('M_LIMIT_EXCEEDED');
    expect(e.error).toBe('Too many requests');
    expect(e.message).toBe('M_LIMIT_EXCEEDED: Too many requests');
    expect(JSON.parse(JSON.stringify(e))).toEqual({ errcode: 'M_LIMIT_EXCEEDED', error: 'Too many requests', retry_after_ms: 2000 });
  });

  it('extra fields cannot override errcode or error', () => {
    const e = new MatrixError(400, ErrCode.BAD_JSON, 'bad', { errcode: 'M_X', error: 'y' });
    expect(e.toJSON()).toEqual({ errcode: 'M_BAD_JSON', error: 'bad' });
  });

  it.each([
    [badJson('x'), 400, 'M_BAD_JSON'],
    [invalidParam('x'), 400, 'M_INVALID_PARAM'],
    [tooLarge('x'), 413, 'M_TOO_LARGE'],
    [forbidden('x'), 403, 'M_FORBIDDEN'],
  ])('shorthand gives %#: status and errcode', (e, status, errcode) => {
    expect(e.status).toBe(status);
    expect(e.errcode).toBe(errcode);
  });
});
