export { scan, type ScanOptions, type ScanResult } from './scan.js';
export { unprocessedBlobs } from '../../lake/index.js';
export {
  DEFAULT_CLAIM_TTL_MS,
  checkClaim,
  isActive,
  isClaimId,
  readClaim,
  releaseClaim,
  type Claim,
  type ClaimEntity,
} from './claim.js';
