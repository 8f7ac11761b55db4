// The one gate in front of every API route: authenticate, resolve the team the request acts
// on, check the operation's least role there. Handlers run only for callers who passed.
import type { MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";
import type { Operation } from "../../api/binding.js";
import { HostingError } from "../../api/errors.js";
import type { Role } from "../../api/schemas.js";
import type { Access, AppEnv, Caller, ServerContext } from "../context.js";
import { HINT } from "../hints.js";
import type { Db } from "../store/db.js";
import { atLeast, findTeam, roleOn, type TeamRow, teamsOfUser } from "./accounts.js";
import { authenticate } from "./authenticate.js";
import { sessionCookie } from "./sessions.js";

export const TEAM_HEADER = "x-deco-team";

/** Operations that make sense for a caller without a team (yet). */
const TEAMLESS_OPERATIONS = new Set(["LIST_TEAMS", "CREATE_TEAM"]);

export function requireAccess(server: ServerContext, op: Operation): MiddlewareHandler<AppEnv> {
  const { db } = server;
  return async (c, next) => {
    const credentials = {
      authorization: c.req.header("authorization"),
      sessionToken: getCookie(c, sessionCookie(server.publicUrl).name),
      csrfToken: c.req.header("x-csrf-token"),
      method: c.req.method,
    };
    const team = c.req.header(TEAM_HEADER)?.trim() || undefined;
    const check = async () => {
      const access = await resolveTeam(db, await authenticate(db, credentials), team);
      checkRole(op, access);
      return access;
    };
    c.set("access", await check());
    c.set("stillAllowed", () =>
      check().then(
        () => true,
        () => false,
      ),
    );
    await next();
  };
}

async function resolveTeam(db: Db, caller: Caller, requested: string | undefined): Promise<Access> {
  if (caller.apiKey) {
    const key = caller.apiKey;
    const team = await findTeam(db, key.team_id);
    if (!team)
      throw new HostingError("unauthorized", "the team of this API key no longer exists", { hint: HINT.newApiKey });
    if (requested && requested !== team.slug && requested !== team.id) {
      throw new HostingError(
        "forbidden",
        `this API key belongs to team '${team.slug}'; it cannot act on '${requested}'`,
        {
          hint: "Use a key created for that team, or drop the team option to act on the key's own team",
        },
      );
    }
    return { caller, team, role: key.role };
  }
  if (requested) {
    const team = await findTeam(db, requested);
    const role = team && (await roleOn(db, team.id, caller.user.id));
    if (!team || !role)
      throw new HostingError("not_found", `you are not a member of a team '${requested}'`, { hint: HINT.listTeams });
    return { caller, team, role };
  }
  const first = (await teamsOfUser(db, caller.user.id))[0];
  if (!first) return { caller, team: null, role: null };
  const { role, joined_at: _, ...team } = first;
  return { caller, team, role };
}

function checkRole(op: Operation, access: Access): void {
  if (!access.team || !access.role) {
    if (TEAMLESS_OPERATIONS.has(op.name)) return;
    throw new HostingError("forbidden", "you are not a member of any team", {
      hint: HINT.noTeam,
    });
  }
  if (!atLeast(access.role, op.role)) throw roleTooLow(op, access.team, access.role, access.caller);
}

function roleTooLow(op: Operation, team: TeamRow, role: Role, caller: Caller): HostingError {
  const who = caller.apiKey ? `this API key has the ${role} role` : `you are ${article(role)} ${role}`;
  return new HostingError("forbidden", `${op.name} needs the ${op.role} role on team '${team.slug}'; ${who}`, {
    hint: caller.apiKey
      ? `Use an API key with the ${op.role} role or higher (an admin can create one)`
      : `Ask an owner or admin of '${team.slug}' for the ${op.role} role`,
    details: { required: op.role, actual: role, team: team.slug },
  });
}

function article(word: string): string {
  return /^[aeiou]/.test(word) ? "an" : "a";
}
