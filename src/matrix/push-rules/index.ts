// Push rules (spec: client-server "Push Notifications"): the predefined ruleset, the evaluator and
// the checks of client input. Pure: no I/O.
export * from './types';
export * from './defaults';
export * from './conditions';
export * from './evaluate';
export * from './event-actions';
export * from './glob';
export * from './property-path';
export * from './ruleset';
export * from './validate';
