export { createApp, type HttpDeps } from './app.js';
export { statusFor } from './status.js';
export { serveApp, type RunningServer } from './node-server.js';
