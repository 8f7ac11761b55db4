// The HTML of the browser side of sign-in: the device verification page and its outcomes.
// Server-rendered, no scripts; every value is escaped on its way into the markup.

export function escapeHtml(value: string): string {
  return value
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

const STYLE = `
body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1d2330}
main{max-width:28rem;margin:4rem auto;padding:2rem;background:#fff;border-radius:12px;box-shadow:0 1px 4px #0002}
h1{font-size:1.3rem;margin-top:0}code,input{font-family:ui-monospace,monospace}
input{font-size:1.4rem;letter-spacing:.15em;padding:.4rem .6rem;width:12rem;text-transform:uppercase}
button{font-size:1rem;padding:.5rem 1.2rem;margin:1rem .5rem 0 0;border-radius:6px;border:1px solid #888;cursor:pointer}
button[value=approve]{background:#1d6b3a;color:#fff;border-color:#1d6b3a}
.error{color:#a11}.muted{color:#666;font-size:.9rem}`;

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)} · deco-hosting</title><style>${STYLE}</style></head>
<body><main><h1>${escapeHtml(title)}</h1>${body}</main></body></html>`;
}

export function signInRequiredPage(): string {
  return page(
    "Sign in to approve",
    `<p>This browser is not signed in to this deco-hosting server.</p>
<p>Open your one-time link: the server prints a sign-in link when it first starts, and a team
admin who invites you gives you an invitation link (accepting it signs this browser in).</p>
<p class="muted">Then enter the code your terminal shows.</p>`,
  );
}

export function approvalFormPage(opts: { email: string; userCode: string; csrfToken: string; error?: string }): string {
  const error = opts.error ? `<p class="error">${escapeHtml(opts.error)}</p>` : "";
  return page(
    "Approve a sign-in",
    `${error}<p>Signed in as <strong>${escapeHtml(opts.email)}</strong>.</p>
<p>Check that this code matches the one in your terminal. Approving lets that terminal act as you.</p>
<form method="post" action="/device">
<input type="hidden" name="csrf_token" value="${escapeHtml(opts.csrfToken)}">
<label>Code<br><input name="user_code" value="${escapeHtml(opts.userCode)}" required autocomplete="off" maxlength="16"></label><br>
<button type="submit" name="action" value="approve">Approve</button>
<button type="submit" name="action" value="deny">Deny</button>
</form>`,
  );
}

export function decisionPage(approved: boolean, userCode: string): string {
  return approved
    ? page(
        "Signed in",
        `<p>Code <code>${escapeHtml(userCode)}</code> is approved. You can close this tab and return to your terminal.</p>`,
      )
    : page(
        "Sign-in denied",
        `<p>Code <code>${escapeHtml(userCode)}</code> was denied. The terminal that asked will not be signed in.</p>`,
      );
}

export function invitationPage(opts: { team: string; role: string; email: string; csrfToken: string }): string {
  return page(
    "Join a team",
    `<p>You are invited to join <strong>${escapeHtml(opts.team)}</strong> as <strong>${escapeHtml(opts.role)}</strong>,
as <strong>${escapeHtml(opts.email)}</strong>.</p>
<form method="post">
<input type="hidden" name="csrf_token" value="${escapeHtml(opts.csrfToken)}">
<button type="submit" name="action" value="approve">Accept</button>
</form>
<p class="muted">If ${escapeHtml(opts.email)} already has an account on this server, sign in as it in this browser first.</p>`,
  );
}

export function joinedPage(team: string, role: string): string {
  return page(
    "Joined",
    `<p>You are now <strong>${escapeHtml(role)}</strong> on <strong>${escapeHtml(team)}</strong>.</p>
<p>To use it from a terminal, run <code>deco-hosting login --api-url &lt;this server&gt;</code> and approve the code here.</p>`,
  );
}

export function messagePage(title: string, message: string): string {
  return page(title, `<p>${escapeHtml(message)}</p>`);
}
