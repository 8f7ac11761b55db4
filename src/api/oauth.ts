// The OAuth 2.0 device authorization grant (RFC 8628) as this API speaks it: shared by the
// server that grants, the CLI that asks and the tests that drive both. Browser-safe.

/** The public client id of the CLI (and of any agent that signs in through it). */
export const DEVICE_CLIENT_ID = "deco-hosting-cli";
export const DEVICE_CODE_GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code";

/** POST /oauth/device/code answers this (RFC 8628 §3.2). */
export interface DeviceAuthorization {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete: string;
  expires_in: number;
  interval: number;
}
