import { HostingError } from "../../api/errors.js";
import type { Team } from "../../api/schemas.js";
import { atLeast, createTeam, listMembers, removeMember, teamsOfUser, toTeam, toUser } from "../auth/accounts.js";
import { createApiKey, listApiKeys, revokeApiKey, toApiKey } from "../auth/api-keys.js";
import { createInvitation } from "../auth/invitations.js";
import { HINT } from "../hints.js";
import { actingTeam, type HandlerContext, type HandlerTable } from "./handler.js";

/** The teams a caller can see: a user's memberships, or an API key's single team. */
async function visibleTeams(ctx: HandlerContext): Promise<Team[]> {
  const { caller, team, role } = ctx.access;
  if (caller.apiKey) return team && role ? [toTeam(team, role)] : [];
  const rows = await teamsOfUser(ctx.server.db, caller.user.id);
  return rows.map((r) => toTeam(r, r.role));
}

export const accountHandlers: HandlerTable = {
  async WHOAMI(ctx) {
    const { team, role } = actingTeam(ctx);
    return {
      user: toUser(ctx.access.caller.user),
      team: toTeam(team, role),
      teams: await visibleTeams(ctx),
      via: ctx.access.caller.via,
    };
  },

  async LIST_TEAMS(ctx) {
    return { teams: await visibleTeams(ctx) };
  },

  async CREATE_TEAM(ctx, input) {
    if (ctx.access.caller.apiKey) {
      throw new HostingError("forbidden", "an API key acts on one team and cannot create teams", {
        hint: "Sign in as a person (`deco-hosting login`) to create a team",
      });
    }
    const team = await createTeam(ctx.server.db, input.slug, input.name, ctx.access.caller.user.id);
    return toTeam(team, "owner");
  },

  async LIST_MEMBERS(ctx) {
    const { team } = actingTeam(ctx);
    return { members: await listMembers(ctx.server.db, team.id) };
  },

  async ADD_MEMBER(ctx, input) {
    const { team, role } = actingTeam(ctx);
    if (!atLeast(role, input.role)) {
      throw new HostingError("forbidden", `you are ${role} on '${team.slug}' and cannot grant the ${input.role} role`, {
        hint: `Choose a role up to ${role}, or ask an owner to add them`,
      });
    }
    // Within its own team an admin may know who is a member; the answer is otherwise the same
    // whether or not the email has an account here (see auth/invitations.ts).
    const email = input.email.toLowerCase();
    if ((await listMembers(ctx.server.db, team.id)).some((m) => m.email === email)) {
      throw new HostingError("conflict", `${email} is already a member of this team`, { hint: HINT.listMembers });
    }
    return createInvitation(
      ctx.server.db,
      team,
      { email: input.email, role: input.role, invitedBy: ctx.access.caller.user.id },
      ctx.server.publicUrl,
    );
  },

  async REMOVE_MEMBER(ctx, input) {
    const { team, role } = actingTeam(ctx);
    await removeMember(ctx.server.db, team.id, input.userId, role);
    return { ok: true as const };
  },

  async CREATE_API_KEY(ctx, input) {
    const { team, role } = actingTeam(ctx);
    if (!atLeast(role, input.role)) {
      throw new HostingError("forbidden", `an API key cannot have a higher role than its creator (${role})`, {
        hint: `Choose a role up to ${role} with --role`,
      });
    }
    const { row, token } = await createApiKey(ctx.server.db, {
      teamId: team.id,
      createdBy: ctx.access.caller.user.id,
      name: input.name,
      role: input.role,
      expiresInDays: input.expiresInDays,
    });
    return { apiKey: toApiKey(row, team.slug), token };
  },

  async LIST_API_KEYS(ctx) {
    const { team } = actingTeam(ctx);
    const rows = await listApiKeys(ctx.server.db, team.id);
    return { apiKeys: rows.map((r) => toApiKey(r, team.slug)) };
  },

  async REVOKE_API_KEY(ctx, input) {
    const { team, role } = actingTeam(ctx);
    return toApiKey(await revokeApiKey(ctx.server.db, team.id, input.keyId, role), team.slug);
  },
};
