// Users, teams and memberships: who exists, which teams they belong to and with what role.
import type { Selectable } from "kysely";
import { HostingError } from "../../api/errors.js";
import { type Member, ROLE_RANK, type Role, type Team, type User } from "../../api/schemas.js";
import { HINT } from "../hints.js";
import { type Db, isUniqueViolation } from "../store/db.js";
import type { TeamsTable, UsersTable } from "../store/schema.js";
import { newId, nowIso } from "./secrets.js";

export type UserRow = Selectable<UsersTable>;
export type TeamRow = Selectable<TeamsTable>;
export type TeamWithRole = TeamRow & { role: Role; joined_at: string };

export function atLeast(role: Role, least: Role): boolean {
  return ROLE_RANK[role] >= ROLE_RANK[least];
}

export function toUser(row: UserRow): User {
  return { id: row.id, email: row.email, name: row.name };
}

export function toTeam(row: TeamRow, role: Role): Team {
  return { id: row.id, slug: row.slug, name: row.name, role, createdAt: row.created_at };
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export async function findUserByEmail(db: Db, email: string): Promise<UserRow | undefined> {
  return db.selectFrom("users").selectAll().where("email", "=", normalizeEmail(email)).executeTakeFirst();
}

export async function findUserById(db: Db, id: string): Promise<UserRow | undefined> {
  return db.selectFrom("users").selectAll().where("id", "=", id).executeTakeFirst();
}

export async function createUser(db: Db, email: string, name?: string): Promise<UserRow> {
  const normalized = normalizeEmail(email);
  const row: UserRow = {
    id: newId("usr"),
    email: normalized,
    name: name ?? normalized.split("@")[0] ?? normalized,
    created_at: nowIso(),
  };
  await db.insertInto("users").values(row).execute();
  return row;
}

/** Creates a team with `ownerId` as its owner. */
export async function createTeam(db: Db, slug: string, name: string | undefined, ownerId: string): Promise<TeamRow> {
  const now = nowIso();
  const team: TeamRow = { id: newId("team"), slug, name: name ?? slug, created_at: now };
  try {
    await db.transaction().execute(async (tx) => {
      await tx.insertInto("teams").values(team).execute();
      await tx
        .insertInto("memberships")
        .values({ team_id: team.id, user_id: ownerId, role: "owner", joined_at: now })
        .execute();
    });
  } catch (err) {
    if (isUniqueViolation(err)) {
      throw new HostingError("conflict", `a team with the slug '${slug}' already exists`, {
        hint: "Choose another slug; team slugs are unique on this server",
      });
    }
    throw err;
  }
  return team;
}

/** The user's teams, earliest joined first (the first is their default team). */
export async function teamsOfUser(db: Db, userId: string): Promise<TeamWithRole[]> {
  return db
    .selectFrom("memberships")
    .innerJoin("teams", "teams.id", "memberships.team_id")
    .selectAll("teams")
    .select(["memberships.role", "memberships.joined_at"])
    .where("memberships.user_id", "=", userId)
    .orderBy("memberships.joined_at")
    .orderBy("teams.created_at")
    .execute();
}

/** A team by slug or id. */
export async function findTeam(db: Db, ref: string): Promise<TeamRow | undefined> {
  return db
    .selectFrom("teams")
    .selectAll()
    .where((eb) => eb.or([eb("slug", "=", ref), eb("id", "=", ref)]))
    .executeTakeFirst();
}

export async function roleOn(db: Db, teamId: string, userId: string): Promise<Role | undefined> {
  const row = await db
    .selectFrom("memberships")
    .select("role")
    .where("team_id", "=", teamId)
    .where("user_id", "=", userId)
    .executeTakeFirst();
  return row?.role;
}

export async function listMembers(db: Db, teamId: string): Promise<Member[]> {
  const rows = await db
    .selectFrom("memberships")
    .innerJoin("users", "users.id", "memberships.user_id")
    .select(["users.id", "users.email", "users.name", "memberships.role", "memberships.joined_at"])
    .where("memberships.team_id", "=", teamId)
    .orderBy("memberships.joined_at")
    .execute();
  return rows.map((r) => ({ userId: r.id, email: r.email, name: r.name, role: r.role, joinedAt: r.joined_at }));
}

export async function addMembership(db: Db, teamId: string, user: UserRow, role: Role): Promise<Member> {
  const joinedAt = nowIso();
  try {
    await db
      .insertInto("memberships")
      .values({ team_id: teamId, user_id: user.id, role, joined_at: joinedAt })
      .execute();
  } catch (err) {
    if (isUniqueViolation(err) || (err as { code?: string })?.code === "SQLITE_CONSTRAINT_PRIMARYKEY") {
      throw new HostingError("conflict", `${user.email} is already a member of this team`, { hint: HINT.listMembers });
    }
    throw err;
  }
  return { userId: user.id, email: user.email, name: user.name, role, joinedAt };
}

/**
 * Removes a member. Admins cannot remove owners and the last owner cannot leave, so a team
 * always has someone who can manage it. The member's API keys on the team stop working.
 */
export async function removeMember(db: Db, teamId: string, userId: string, callerRole: Role): Promise<void> {
  await db.transaction().execute(async (tx) => {
    const target = await tx
      .selectFrom("memberships")
      .select("role")
      .where("team_id", "=", teamId)
      .where("user_id", "=", userId)
      .executeTakeFirst();
    if (!target)
      throw new HostingError("not_found", `no member with id '${userId}' on this team`, { hint: HINT.listMembers });
    if (target.role === "owner" && callerRole !== "owner") {
      throw new HostingError("forbidden", "only an owner can remove an owner", {
        hint: "Ask an owner of this team to remove them",
      });
    }
    if (target.role === "owner") {
      const owners = await tx
        .selectFrom("memberships")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where("team_id", "=", teamId)
        .where("role", "=", "owner")
        .executeTakeFirstOrThrow();
      if (Number(owners.n) <= 1) {
        throw new HostingError("conflict", "cannot remove the last owner of a team", {
          hint: HINT.addOwner,
        });
      }
    }
    await tx.deleteFrom("memberships").where("team_id", "=", teamId).where("user_id", "=", userId).execute();
    await tx
      .updateTable("api_keys")
      .set({ revoked_at: nowIso() })
      .where("team_id", "=", teamId)
      .where("created_by", "=", userId)
      .where("revoked_at", "is", null)
      .execute();
  });
}
