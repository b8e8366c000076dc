// User-interactive authentication (spec: Client-Server API, User-Interactive Authentication API).
// Sessions live in Postgres so that any isolate can continue them; a session is bound to the
// operation that opened it and to its user, and expires after a while.
import { and, eq, lt, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Env } from '../../config';
import { httpDb } from '../../db/client';
import { registrationTokens, uiaSessions } from '../../db/schema';
import { ErrCode, MatrixError } from '../../matrix/errors';
import { userObject } from '../../http/auth';
import { randomString } from './tokens';

export type Stage = 'm.login.dummy' | 'm.login.password' | 'm.login.registration_token';

export interface UiaSpec {
  /** e.g. `POST /_matrix/client/v3/register`; a session cannot be carried to another operation. */
  operation: string;
  flows: Stage[][];
  /** The authenticated user, for operations on an existing account. */
  userId?: string;
  serverName: string;
}

const SESSION_LIFETIME_MS = 30 * 60_000;

/** The 401 that carries the UIA state; not every such response has an errcode (spec). */
export class UiaRequired extends MatrixError {
  constructor(private body: Record<string, unknown>) {
    super(401, (body.errcode as string) ?? ErrCode.UNAUTHORIZED, (body.error as string) ?? 'Additional authentication is required');
  }
  override toJSON() {
    return this.body as { errcode: string; error: string };
  }
}

const authDict = z
  .object({
    type: z.string().optional(),
    session: z.string().optional(),
    identifier: z.object({ type: z.string(), user: z.string().optional() }).passthrough().optional(),
    user: z.string().optional(),
    password: z.string().optional(),
    token: z.string().optional(),
  })
  .passthrough();

export interface UiaResult {
  sessionId: string;
  completed: string[];
  results: Record<string, unknown>;
}

function flowsBody(spec: UiaSpec, sessionId: string, completed: string[]) {
  const body: Record<string, unknown> = { flows: spec.flows.map((stages) => ({ stages })), params: {}, session: sessionId };
  if (completed.length) body.completed = completed;
  return body;
}

const done = (spec: UiaSpec, completed: string[]) => spec.flows.some((f) => f.every((s) => completed.includes(s)));

/**
 * Checks the request's `auth` dict against the flows. Returns when some flow is complete; otherwise
 * throws the 401 the client needs to continue.
 */
export async function requireUia(env: Env, spec: UiaSpec, auth: unknown): Promise<UiaResult> {
  const db = httpDb(env);
  const parsed = auth === undefined ? undefined : authDict.safeParse(auth);
  if (parsed && !parsed.success) throw new MatrixError(400, ErrCode.BAD_JSON, "Invalid 'auth' dict");
  const dict = parsed?.data;
  const now = Date.now();

  let session: { sessionId: string; completed: string[]; results: Record<string, unknown> };
  if (dict?.session) {
    const [row] = await db.select().from(uiaSessions).where(eq(uiaSessions.sessionId, dict.session));
    if (!row || row.createdTs + SESSION_LIFETIME_MS < now) throw new MatrixError(400, ErrCode.UNKNOWN, 'Unknown or expired session');
    if (row.operation !== spec.operation || (row.userId ?? undefined) !== spec.userId) {
      throw new MatrixError(400, ErrCode.UNKNOWN, 'This session was started for another request');
    }
    session = { sessionId: row.sessionId, completed: row.completed, results: row.results };
  } else {
    session = { sessionId: randomString(24), completed: [], results: {} };
    await db.delete(uiaSessions).where(lt(uiaSessions.createdTs, now - SESSION_LIFETIME_MS));
    await db.insert(uiaSessions).values({ sessionId: session.sessionId, operation: spec.operation, userId: spec.userId ?? null, createdTs: now });
  }

  if (dict?.type) {
    const stage = dict.type as Stage;
    const allowed = spec.flows.some((f) => f.includes(stage));
    let failure: MatrixError | undefined;
    if (!allowed) failure = new MatrixError(400, ErrCode.BAD_JSON, `Authentication type ${dict.type} is not offered`);
    else failure = await checkStage(env, spec, stage, dict, session.results);
    if (failure) {
      throw new UiaRequired({ ...flowsBody(spec, session.sessionId, session.completed), errcode: failure.errcode, error: failure.error });
    }
    if (!session.completed.includes(stage)) session.completed = [...session.completed, stage];
    await db
      .update(uiaSessions)
      .set({ completed: session.completed, results: session.results })
      .where(eq(uiaSessions.sessionId, session.sessionId));
  }
  if (!done(spec, session.completed)) throw new UiaRequired(flowsBody(spec, session.sessionId, session.completed));
  return session;
}

async function checkStage(env: Env, spec: UiaSpec, stage: Stage, dict: z.infer<typeof authDict>, results: Record<string, unknown>): Promise<MatrixError | undefined> {
  switch (stage) {
    case 'm.login.dummy':
      return undefined;
    case 'm.login.password': {
      if (!spec.userId) return new MatrixError(400, ErrCode.BAD_JSON, 'Password authentication needs an account');
      const named = dict.identifier?.type === 'm.id.user' ? dict.identifier.user : dict.user;
      const claimed = named === undefined ? spec.userId : named.startsWith('@') ? named : `@${named}:${spec.serverName}`;
      const ok = claimed === spec.userId && typeof dict.password === 'string' && (await userObject(env, spec.userId).checkPassword(spec.userId, dict.password));
      return ok ? undefined : new MatrixError(401, ErrCode.FORBIDDEN, 'Invalid password');
    }
    case 'm.login.registration_token': {
      if (typeof dict.token !== 'string') return new MatrixError(401, ErrCode.MISSING_PARAM, 'Missing registration token');
      if (results.registrationToken === dict.token) return undefined;
      // Reserve a use of the token: `pending` counts sessions that passed the stage but did not register yet.
      const db = httpDb(env);
      const reserved = await db
        .update(registrationTokens)
        .set({ pending: sql`${registrationTokens.pending} + 1` })
        .where(and(eq(registrationTokens.token, dict.token), usableToken(Date.now())))
        .returning({ token: registrationTokens.token });
      if (reserved.length === 0) return new MatrixError(401, ErrCode.UNAUTHORIZED, 'Invalid registration token');
      results.registrationToken = dict.token;
      return undefined;
    }
  }
}

export function usableToken(now: number) {
  return sql`(${registrationTokens.expiryTs} is null or ${registrationTokens.expiryTs} > ${now})
    and (${registrationTokens.usesAllowed} is null or ${registrationTokens.pending} + ${registrationTokens.completed} < ${registrationTokens.usesAllowed})`;
}

/** A registration finished with a token: the reserved use becomes a completed one. */
export async function consumeRegistrationToken(env: Env, token: string): Promise<void> {
  await httpDb(env)
    .update(registrationTokens)
    .set({ pending: sql`greatest(${registrationTokens.pending} - 1, 0)`, completed: sql`${registrationTokens.completed} + 1` })
    .where(eq(registrationTokens.token, token));
}

/** The session is spent once its operation succeeded. */
export async function finishUia(env: Env, sessionId: string): Promise<void> {
  await httpDb(env).delete(uiaSessions).where(eq(uiaSessions.sessionId, sessionId));
}
