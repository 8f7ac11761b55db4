// Invitations to a team. Adding a member never adds anyone: it makes an invitation whose
// one-time link the inviter passes on, and the answer is the same whether or not the email
// has an account here (nothing about other teams' people leaks). Accepting:
// - an email with no account: the link holder becomes that new user, on this team only;
// - an email with an account: only that user, signed in in this browser, can accept. The
//   inviter holds the link too, so the link alone must never sign anyone in to an account
//   that exists (it would hand over the person's other teams).
import type { Selectable } from "kysely";
import { HostingError } from "../../api/errors.js";
import type { Invitation, Role } from "../../api/schemas.js";
import type { Db } from "../store/db.js";
import type { InvitationsTable } from "../store/schema.js";
import { addMembership, createUser, findUserByEmail, type TeamRow, type UserRow } from "./accounts.js";
import { hashSecret, isoAfter, newId, newSecret, nowIso } from "./secrets.js";

export type InvitationRow = Selectable<InvitationsTable>;
export const INVITATION_TTL_SECONDS = 7 * 86_400;
const INVITE_PREFIX = "dhi_";

export async function createInvitation(
  db: Db,
  team: TeamRow,
  input: { email: string; role: Role; invitedBy: string },
  publicUrl: string,
): Promise<{ invitation: Invitation; inviteUrl: string }> {
  const token = newSecret(INVITE_PREFIX);
  const row: InvitationRow = {
    id: newId("inv"),
    team_id: team.id,
    email: input.email.toLowerCase(),
    role: input.role,
    token_hash: hashSecret(token),
    invited_by: input.invitedBy,
    created_at: nowIso(),
    expires_at: isoAfter(INVITATION_TTL_SECONDS),
    accepted_at: null,
    accepted_by: null,
  };
  await db.insertInto("invitations").values(row).execute();
  return { invitation: toInvitation(row, team.slug), inviteUrl: `${publicUrl}/invite/${token}` };
}

export function toInvitation(row: InvitationRow, teamSlug: string): Invitation {
  return {
    id: row.id,
    team: teamSlug,
    email: row.email,
    role: row.role,
    status: row.accepted_at ? "accepted" : row.expires_at <= nowIso() ? "expired" : "pending",
    expiresAt: row.expires_at,
  };
}

/** The pending invitation a link names, with its team; undefined when it is unknown, used or expired. */
export async function pendingInvitation(
  db: Db,
  token: string,
): Promise<{ invitation: InvitationRow; team: TeamRow } | undefined> {
  if (!token.startsWith(INVITE_PREFIX)) return undefined;
  const invitation = await db
    .selectFrom("invitations")
    .selectAll()
    .where("token_hash", "=", hashSecret(token))
    .executeTakeFirst();
  if (!invitation || invitation.accepted_at || invitation.expires_at <= nowIso()) return undefined;
  const team = await db.selectFrom("teams").selectAll().where("id", "=", invitation.team_id).executeTakeFirst();
  return team ? { invitation, team } : undefined;
}

/**
 * Accepts a pending invitation for `signedIn` (the browser's user, if any). Returns the user
 * who joined; throws `forbidden` when the email has an account and it is not the one signed in.
 */
export async function acceptInvitation(
  db: Db,
  token: string,
  signedIn: UserRow | undefined,
): Promise<{ user: UserRow; team: TeamRow; created: boolean }> {
  const found = await pendingInvitation(db, token);
  if (!found) {
    throw new HostingError("not_found", "this invitation is unknown, expired or was already used", {
      hint: "Ask the team's admin for a new invitation",
    });
  }
  const { invitation, team } = found;
  const existing = await findUserByEmail(db, invitation.email);
  if (existing && existing.id !== signedIn?.id) {
    throw new HostingError("forbidden", `this invitation is for ${invitation.email}, who must accept it signed in`, {
      hint: `Sign in to this server as ${invitation.email} in this browser, then open the invitation link again`,
    });
  }
  if (!existing && signedIn && signedIn.email !== invitation.email) {
    throw new HostingError("forbidden", `this invitation is for ${invitation.email}, not ${signedIn.email}`, {
      hint: "Open the link in a browser that is not signed in as someone else",
    });
  }
  // Spent first, so two clicks cannot both join.
  const spent = await db
    .updateTable("invitations")
    .set({ accepted_at: nowIso() })
    .where("id", "=", invitation.id)
    .where("accepted_at", "is", null)
    .executeTakeFirst();
  if (Number(spent.numUpdatedRows) !== 1) {
    throw new HostingError("not_found", "this invitation was already used", {
      hint: "Ask the team's admin for a new invitation",
    });
  }
  const user = existing ?? (await createUser(db, invitation.email));
  await addMembership(db, team.id, user, invitation.role as Role);
  await db.updateTable("invitations").set({ accepted_by: user.id }).where("id", "=", invitation.id).execute();
  return { user, team, created: !existing };
}
