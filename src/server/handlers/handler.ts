// The shape of an operation's handler: validated input in, the operation's output out.
import type { z } from "zod";
import type { OperationName, Operations, OutputOf } from "../../api/binding.js";
import { HostingError } from "../../api/errors.js";
import type { Role } from "../../api/schemas.js";
import type { TeamRow } from "../auth/accounts.js";
import type { Access, ServerContext } from "../context.js";

export interface HandlerContext {
  server: ServerContext;
  access: Access;
  /** The raw request, for handlers that stream (Server-Sent Events). */
  request: Request;
  /** Whether the request's credential still grants this operation (revoked, expired, removed). */
  stillAllowed: () => Promise<boolean>;
}

/** A handler answers the operation's output, or a Response it streams itself. */
export type Handler<N extends OperationName> = (
  ctx: HandlerContext,
  input: z.output<Operations[N]["input"]>,
) => Promise<OutputOf<N> | Response>;

export type HandlerTable = { [N in OperationName]?: Handler<N> };

/** The team the request acts on; the access middleware guarantees one for team operations. */
export function actingTeam(ctx: HandlerContext): { team: TeamRow; role: Role } {
  const { team, role } = ctx.access;
  if (!team || !role) throw new HostingError("forbidden", "you are not a member of any team");
  return { team, role };
}
