// Filters (spec: client-server "Filtering"): event_fields and its dot-separated property paths.
import { describe, expect, it } from 'vitest';
import { onlyEventFields, propertyPath } from '../../../src/matrix/event-filter';

describe('dot-separated property paths (appendices)', () => {
  it('splits on dots; \\. and \\\\ are a literal dot and backslash; other escapes stay as they are', () => {
    expect(propertyPath('content.body')).toEqual(['content', 'body']);
    expect(propertyPath('content.m\\.relates_to')).toEqual(['content', 'm.relates_to']);
    expect(propertyPath('content.m\\\\foo')).toEqual(['content', 'm\\foo']);
    expect(propertyPath('content.a\\x')).toEqual(['content', 'a\\x']);
    expect(propertyPath('type')).toEqual(['type']);
  });
});

describe('event_fields', () => {
  const event = { type: 'm.room.message', sender: '@a:x', content: { body: 'hi', 'm.relates_to': { rel_type: 'm.thread', event_id: '$r' }, extra: 1 }, unsigned: { age: 3 } };

  it('keeps only the listed properties, nested ones included', () => {
    expect(onlyEventFields(event, ['type', 'content.body'])).toEqual({ type: 'm.room.message', content: { body: 'hi' } });
    expect(onlyEventFields(event, ['content.m\\.relates_to.event_id'])).toEqual({ content: { 'm.relates_to': { event_id: '$r' } } });
    expect(onlyEventFields(event, ['content', 'content.body'])).toEqual({ content: event.content });
    expect(onlyEventFields(event, ['content.missing', 'type.length'])).toEqual({});
    expect(onlyEventFields(event, [])).toEqual({});
  });

  it('never changes the event it reads', () => {
    const copy = structuredClone(event);
    onlyEventFields(event, ['content', 'content.body', 'unsigned.age']);
    expect(event).toEqual(copy);
  });
});
