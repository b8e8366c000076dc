// The Matrix protocol core: pure functions over events, no I/O. Import from here, or from
// the module files directly (each serves one section of the spec).

export * from './base64';
export * from './canonical-json';
export * from './errors';
export * from './signing';
export * from './types';
export * from './state-map';
export * from './room-versions';
export * from './ids';
export * from './pdu';
export * from './redaction';
export * from './hashes';
export * from './event-signing';
export * from './event-format';
export * from './event-builder';
export * from './client-event';
export * from './json';
export * from './power-levels';
export * from './auth-events';
export * from './auth-rules/index';
export * from './state-resolution/index';
export * from './random';
