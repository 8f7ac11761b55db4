// Input validation shared by every side of the contract, so an error reads the same
// whether the CLI, the MCP server or the API caught it.
import type { z } from "zod";
import { HostingError } from "./errors.js";

export interface Issue {
  path: string;
  message: string;
}

export function describeIssues(error: z.ZodError): Issue[] {
  return error.issues.map((i) => {
    const path = i.path.map(String).join(".");
    if (i.code === "unrecognized_keys") return { path, message: `unknown field(s): ${i.keys.join(", ")}` };
    return { path, message: i.message };
  });
}

/** Parses `raw` with `schema`, or throws `invalid_input` naming each bad field. */
export function parseWith<S extends z.ZodType>(schema: S, raw: unknown, what: string): z.output<S> {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  const issues = describeIssues(r.error);
  const first = issues[0];
  const where = first?.path ? `${first.path}: ` : "";
  return failInvalid(`invalid ${what}: ${where}${first?.message ?? "bad input"}`, issues);
}

function failInvalid(message: string, issues: Issue[]): never {
  throw new HostingError("invalid_input", message, {
    details: { issues },
    hint: "Fix the fields listed in details.issues and try again",
  });
}
