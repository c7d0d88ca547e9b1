export { createApp, type HttpDeps } from './app.js';
export { errorAnswer, statusFor, type ErrorBody } from './status.js';
export { openApiDocument } from './openapi.js';
export { serveApp, type RunningServer } from './node-server.js';
export { apiKeyMatches, parseApiKeys } from './auth.js';
export { DEFAULT_MAX_BODY_BYTES } from './app.js';
