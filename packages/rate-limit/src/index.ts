export { type RateLimitSettings, rateLimitSection } from './config.js';
export { OPENAPI_RATE_LIMIT_HEADERS, RequestLimits } from './http.js';
export { type Charge, RateLimiter } from './limiter.js';
