// The whole drizzle schema; drizzle-kit reads this file to generate migrations/.
export * from './schema/accounts';
export * from './schema/user-data';
export * from './schema/rooms';
export * from './schema/streams';
