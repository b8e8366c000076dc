// Validates response bodies against the OpenAPI definitions of the Matrix spec (v1.19), with
// @cfworker/json-schema because ajv cannot run inside workerd (it generates code at run time).
import { Validator, type Schema } from '@cfworker/json-schema';
import { expect } from 'vitest';
import clientServer from '../../../../shared/matrix-spec/derived/client-server.json';
import serverServer from '../../../../shared/matrix-spec/derived/server-server.json';

type Operations = Record<string, { responses: Record<string, { content?: Record<string, { schema: Schema }> }> }>;
const apis: Record<string, Operations> = {
  'client-server': (clientServer as unknown as { operations: Operations }).operations,
  'server-server': (serverServer as unknown as { operations: Operations }).operations,
};

const cache = new Map<string, Validator>();

function validatorFor(operation: string, status: number): Validator {
  const key = `${operation} ${status}`;
  let v = cache.get(key);
  if (!v) {
    const op = apis['client-server'][operation] ?? apis['server-server'][operation];
    if (!op) throw new Error(`no operation "${operation}" in the spec`);
    const schema = op.responses[String(status)]?.content?.['application/json']?.schema;
    if (!schema) throw new Error(`the spec defines no JSON body for ${operation} → ${status}`);
    v = new Validator(schema, '2020-12', false);
    cache.set(key, v);
  }
  return v;
}

/** Asserts that `body` is what the spec says `operation` answers with `status`. */
export function expectSpec(operation: string, status: number, body: unknown): void {
  const result = validatorFor(operation, status).validate(body);
  const errors = result.valid ? [] : result.errors.map((e) => `${e.instanceLocation}: ${e.error}`);
  expect(errors, `${operation} ${status} response does not match the spec: ${JSON.stringify(body)}`).toEqual([]);
}
