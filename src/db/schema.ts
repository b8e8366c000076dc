// The whole drizzle schema; drizzle-kit reads this file to generate migrations/.
export * from './schema/accounts';
export * from './schema/user-data';
export * from './schema/rooms';
export * from './schema/streams';
export * from './schema/media';
export * from './schema/search';
export * from './schema/reports';
export * from './schema/e2ee';
export * from './schema/push';
export * from './schema/federation';
export * from './schema/user-directory';
export * from './schema/openid';
export * from './schema/login-tokens';
export * from './schema/remote';
