// Matrix errors across Durable Object RPC. A thrown error would cross as a bare message (and be
// logged by the runtime as uncaught), so objects return failures as values and callers re-throw.
import { MatrixError, type MatrixErrorBody } from '../matrix/errors';

const TAG = '__matrixError';
export interface RpcFailure {
  [TAG]: { status: number; body: MatrixErrorBody };
}

function isFailure(v: unknown): v is RpcFailure {
  return typeof v === 'object' && v !== null && TAG in v;
}

/** Inside an object: runs `fn`, turning a MatrixError into a returned failure. */
export async function asRpcResult<T>(fn: () => Promise<T>): Promise<T | RpcFailure> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof MatrixError) return { [TAG]: { status: e.status, body: e.toJSON() } };
    throw e;
  }
}

export function unwrapRpc<T>(v: T | RpcFailure): T {
  if (!isFailure(v)) return v;
  const { status, body } = v[TAG];
  const { errcode, error, ...extra } = body;
  throw new MatrixError(status, errcode, error, Object.keys(extra).length ? extra : undefined);
}

type Method = (...args: never[]) => unknown;
/** A stub whose methods throw MatrixErrors again instead of returning failures. */
export type Unwrapped<S> = {
  [K in keyof S]: S[K] extends (...args: infer A) => Promise<infer R> ? (...args: A) => Promise<Exclude<Awaited<R>, RpcFailure>> : S[K];
};

/** Typed by the object's class (its own method signatures), not by the generic stub type. */
export function unwrapping<T extends object>(stub: DurableObjectStub<T & Rpc.DurableObjectBranded>): Unwrapped<T> {
  return new Proxy(stub, {
    get(target, prop) {
      const value = Reflect.get(target, prop) as unknown;
      if (typeof value !== 'function') return value;
      // Reflect.apply, not value.apply: on an RPC stub, `.apply` would itself be a remote call.
      return (...args: unknown[]) => Promise.resolve(Reflect.apply(value as Method, target, args)).then(unwrapRpc);
    },
  }) as unknown as Unwrapped<T>;
}
