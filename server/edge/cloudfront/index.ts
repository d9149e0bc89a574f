// CloudFront-compatible private content for the edge: verify signed URLs and cookies, sign them, hand out cookies.
export { cloudFrontBase64 } from './base64.ts';
export { KeyGroup, keyGroupField, KEY_PAIR_ID } from './key-group.ts';
export { cannedPolicy, customPolicy, parsePolicy, resourceMatches, MAX_POLICY_BYTES, type Policy, type PolicyInput } from './policy.ts';
export { readSignedCookies, signedCookieHeaders, type CookieOptions } from './signed-cookies.ts';
export { signCookies, signPolicy, signUrl, SIGNED_COOKIE_NAMES, type Grant, type HashAlgorithm, type SignedCookies, type SigningKey } from './signer.ts';
export { SIGNATURE_PARAMS, splitSignatureParams, stripSignatureParams } from './signature-params.ts';
export { verifyViewerRequest, VERIFY_REASONS, type VerifyReason, type VerifyResult, type ViewerRequest } from './verifier.ts';
export { parseViewerUrl, awsCanonicalUrl } from './viewer-url.ts';
