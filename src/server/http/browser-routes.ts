// The routes a person's browser visits: one-time sign-in links and the device verification page.
import type { Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { getCookie, setCookie } from "hono/cookie";
import { isHostingError } from "../../api/errors.js";
import { listMembers } from "../auth/accounts.js";
import { decideUserCode } from "../auth/device-grant.js";
import { acceptInvitation, pendingInvitation } from "../auth/invitations.js";
import { sameSecret } from "../auth/secrets.js";
import { createSession, findSession, redeemSignInLink, SESSION_TTL_SECONDS, sessionCookie } from "../auth/sessions.js";
import {
  approvalFormPage,
  decisionPage,
  invitationPage,
  joinedPage,
  messagePage,
  signInRequiredPage,
} from "../auth/verification-page.js";
import type { AppEnv, ServerContext } from "../context.js";
import { clientAddress, createRateLimiter } from "./rate-limit.js";

const FORM_BODY_LIMIT_BYTES = 16 * 1024;

// Wrong user codes a signed-in person (or an address) may enter in 10 minutes.
const WRONG_USER_CODES = 10;

export function registerBrowserRoutes(app: Hono<AppEnv>, server: ServerContext): void {
  const { db } = server;
  const wrongByUser = createRateLimiter(WRONG_USER_CODES, 10 * 60_000);
  const wrongByAddress = createRateLimiter(WRONG_USER_CODES * 3, 10 * 60_000);

  app.get("/signin/:token", async (c) => {
    const userId = await redeemSignInLink(db, c.req.param("token"));
    if (!userId) {
      return html(
        c,
        messagePage("Link not valid", "This sign-in link is unknown, expired or was already used. Ask for a new one."),
        400,
      );
    }
    await startSession(c, userId);
    return c.redirect(safeNext(c.req.query("next")), 302);
  });

  app.get("/invite/:token", async (c) => {
    const found = await pendingInvitation(db, c.req.param("token"));
    if (!found) return html(c, messagePage("Invitation not valid", INVITATION_GONE), 400);
    const signedIn = await currentSession(c);
    const { invitation, team } = found;
    return html(
      c,
      invitationPage({
        team: team.name || team.slug,
        role: invitation.role,
        email: invitation.email,
        csrfToken: signedIn?.session.csrf_token ?? "",
      }),
      200,
    );
  });

  app.post("/invite/:token", bodyLimit({ maxSize: FORM_BODY_LIMIT_BYTES }), async (c) => {
    // A browser says where a form came from; only this server's own page may accept.
    const site = c.req.header("sec-fetch-site");
    if (site && site !== "same-origin") return html(c, messagePage("Request refused", STALE_FORM), 403);
    if (!(await pendingInvitation(db, c.req.param("token")))) {
      return html(c, messagePage("Invitation not valid", INVITATION_GONE), 400);
    }
    const signedIn = await currentSession(c);
    const form = await c.req.parseBody();
    if (signedIn) {
      const csrf = typeof form.csrf_token === "string" ? form.csrf_token : "";
      if (!sameSecret(csrf, signedIn.session.csrf_token))
        return html(c, messagePage("Request refused", STALE_FORM), 403);
    }
    try {
      const { user, team, created } = await acceptInvitation(db, c.req.param("token"), signedIn?.user);
      const invitedRole = (await listMembers(db, team.id)).find((m) => m.userId === user.id)?.role ?? "";
      if (created) {
        // A new account: the link holder is that person now, in this browser.
        await startSession(c, user.id);
      }
      return html(c, joinedPage(team.name || team.slug, invitedRole), 200);
    } catch (err) {
      if (!isHostingError(err)) throw err;
      const status = err.code === "forbidden" ? 403 : 400;
      return html(
        c,
        messagePage(status === 403 ? "Sign in first" : "Invitation not valid", `${err.message}. ${err.hint ?? ""}`),
        status,
      );
    }
  });

  app.get("/device", async (c) => {
    const signedIn = await currentSession(c);
    if (!signedIn) return html(c, signInRequiredPage(), 200);
    const userCode = c.req.query("user_code") ?? "";
    return html(
      c,
      approvalFormPage({ email: signedIn.user.email, userCode, csrfToken: signedIn.session.csrf_token }),
      200,
    );
  });

  app.post("/device", bodyLimit({ maxSize: FORM_BODY_LIMIT_BYTES }), async (c) => {
    const signedIn = await currentSession(c);
    if (!signedIn) return html(c, signInRequiredPage(), 401);
    const form = await c.req.parseBody();
    const csrf = typeof form.csrf_token === "string" ? form.csrf_token : "";
    if (!sameSecret(csrf, signedIn.session.csrf_token)) {
      return html(
        c,
        messagePage("Request refused", "This form is stale or did not come from this page. Reload it and try again."),
        403,
      );
    }
    const userCode = typeof form.user_code === "string" ? form.user_code : "";
    const retry = (error: string) =>
      html(
        c,
        approvalFormPage({ email: signedIn.user.email, userCode, csrfToken: signedIn.session.csrf_token, error }),
        400,
      );
    if (form.action !== "approve" && form.action !== "deny") return retry("Choose Approve or Deny.");
    const approve = form.action === "approve";
    const who = clientAddress(c);
    if (wrongByUser.blocked(signedIn.user.id) || wrongByAddress.blocked(who)) {
      const wait = Math.max(wrongByUser.retryAfter(signedIn.user.id), wrongByAddress.retryAfter(who));
      c.header("Retry-After", String(wait));
      return html(
        c,
        messagePage("Too many wrong codes", `Wait ${Math.ceil(wait / 60)} minutes, then enter the code again.`),
        429,
      );
    }
    try {
      const shown = await decideUserCode(db, userCode, signedIn.user.id, approve);
      return html(c, decisionPage(approve, shown), 200);
    } catch (err) {
      if (!isHostingError(err)) throw err;
      if (err.code === "not_found" || err.code === "invalid_input") {
        wrongByUser.take(signedIn.user.id);
        wrongByAddress.take(who);
      }
      return retry(err.message);
    }
  });

  /** Signs this browser in as `userId`: a new session in an HttpOnly cookie. */
  async function startSession(c: Context, userId: string): Promise<void> {
    const { token } = await createSession(db, userId);
    const cookie = sessionCookie(server.publicUrl);
    setCookie(c, cookie.name, token, {
      httpOnly: true,
      sameSite: "Lax",
      path: "/",
      secure: cookie.secure,
      maxAge: SESSION_TTL_SECONDS,
    });
  }

  function currentSession(c: Context) {
    const token = getCookie(c, sessionCookie(server.publicUrl).name);
    return token ? findSession(db, token) : Promise.resolve(undefined);
  }
}

const INVITATION_GONE = "This invitation is unknown, expired or was already used. Ask the team's admin for a new one.";
const STALE_FORM = "This form is stale or did not come from this page. Reload it and try again.";

/**
 * Only a path of this server: a sign-in link must not become an open redirect. Browsers
 * drop tabs and newlines and read "\\" as "/", so "/\t/evil.example" would leave the origin.
 */
export function safeNext(next: string | undefined): string {
  const fallback = "/device";
  if (!next || next.length > 2048 || !next.startsWith("/") || [...next].some(unsafeInPath)) return fallback;
  let url: URL;
  try {
    url = new URL(next, "http://same.invalid");
  } catch {
    return fallback;
  }
  if (url.origin !== "http://same.invalid" || next.startsWith("//")) return fallback;
  return url.pathname + url.search + url.hash;
}

/** Characters browsers drop or reinterpret in a URL: controls, space, DEL and the backslash. */
function unsafeInPath(ch: string): boolean {
  const code = ch.charCodeAt(0);
  return code <= 0x20 || code === 0x7f || ch === "\\";
}

function html(c: Context, body: string, status: 200 | 400 | 401 | 403 | 429): Response {
  c.header(
    "Content-Security-Policy",
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
  );
  c.header("X-Frame-Options", "DENY");
  c.header("Referrer-Policy", "no-referrer");
  c.header("Cache-Control", "no-store");
  return c.html(body, status);
}
