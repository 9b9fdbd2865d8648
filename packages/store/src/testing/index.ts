export { startTestMongo, databaseUrl, type TestMongo } from './mongo-server.js';
