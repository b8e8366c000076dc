// The end-to-end encryption services the user's object calls (durable-objects/user.ts).
export * as backup from './backup';
export * as crossSigning from './cross-signing';
export * as dehydrated from './dehydrated';
export * as deviceLists from './device-lists';
export * as keys from './keys';
export * as toDevice from './to-device';
import './sync';
