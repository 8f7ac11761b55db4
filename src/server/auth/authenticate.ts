// Turns a request's credentials (bearer token, or a browser session) into a Caller.
import { HostingError } from "../../api/errors.js";
import type { Caller } from "../context.js";
import { HINT } from "../hints.js";
import type { Db } from "../store/db.js";
import { findUserById } from "./accounts.js";
import { authenticateApiKey } from "./api-keys.js";
import { authenticateAccessToken } from "./oauth-tokens.js";
import { sameSecret, TOKEN_PREFIX } from "./secrets.js";
import { findSession } from "./sessions.js";

export interface Credentials {
  authorization: string | undefined;
  sessionToken: string | undefined;
  csrfToken: string | undefined;
  method: string;
}

export async function authenticate(db: Db, creds: Credentials): Promise<Caller> {
  if (creds.authorization !== undefined) return authenticateBearer(db, creds.authorization);
  if (creds.sessionToken !== undefined) return authenticateSession(db, creds);
  throw new HostingError("unauthorized", "authentication required", { hint: HINT.signIn });
}

async function authenticateBearer(db: Db, header: string): Promise<Caller> {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  const token = match?.[1];
  if (!token) {
    throw new HostingError("unauthorized", "the Authorization header must be `Bearer <token>`", { hint: HINT.signIn });
  }
  if (token.startsWith(TOKEN_PREFIX.apiKey)) {
    const key = await authenticateApiKey(db, token);
    return { user: await userOf(key.created_by), via: "api_key", apiKey: key };
  }
  if (token.startsWith(TOKEN_PREFIX.accessToken)) {
    const row = await authenticateAccessToken(db, token);
    return { user: await userOf(row.user_id), via: "oauth", apiKey: null };
  }
  throw new HostingError("unauthorized", "this token is not an API key or an access token of this server", {
    hint: HINT.signIn,
  });

  async function userOf(id: string) {
    const user = await findUserById(db, id);
    if (!user)
      throw new HostingError("unauthorized", "the account behind this token no longer exists", { hint: HINT.signIn });
    return user;
  }
}

// A session cookie is sent by the browser on its own, so anything but a read must also carry
// the session's CSRF token in a header another site cannot set.
async function authenticateSession(db: Db, creds: Credentials): Promise<Caller> {
  const found = await findSession(db, creds.sessionToken ?? "");
  if (!found) throw new HostingError("unauthorized", "your browser session has ended", { hint: HINT.signInAgain });
  const isRead = creds.method === "GET" || creds.method === "HEAD";
  if (!isRead && !(creds.csrfToken && sameSecret(creds.csrfToken, found.session.csrf_token))) {
    throw new HostingError("forbidden", "a browser session must send its CSRF token in X-CSRF-Token", {
      hint: "Use a bearer token for API calls outside the dashboard",
    });
  }
  return { user: found.user, via: "session", apiKey: null };
}
