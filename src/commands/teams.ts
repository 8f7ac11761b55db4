// teams ls | switch.
import type { Command } from "commander";
import { HostingError } from "../api/errors.js";
import type { Team } from "../api/schemas.js";
import type { Session } from "../auth/session.js";
import type { ClientDeps, CommandContext } from "./context.js";
import { chooseOne } from "./prompt.js";

export function register(program: Command, ctx: CommandContext): void {
  const teams = program.command("teams").description("List your teams and choose the one commands act on");
  teams
    .command("ls")
    .alias("list")
    .description("List the teams you belong to, with your role")
    .action(async (_opts, cmd: Command) => runTeamsList({}, await ctx.clientDeps(cmd)));
  teams
    .command("switch")
    .description("Make commands act on another team (saved in the profile)")
    .argument("[slug]", "team slug; asked for on a terminal when left out")
    .action(async (slug: string | undefined, _opts, cmd: Command) => {
      const [session, deps] = await Promise.all([ctx.session(cmd), ctx.clientDeps(cmd, { withoutTeam: true })]);
      await runTeamsSwitch({ slug }, { ...deps, session });
    });
}

export async function runTeamsList(_opts: object, { client, out }: ClientDeps): Promise<void> {
  const me = await client.whoami();
  const teams = me.teams.map((t) => ({ ...t, current: t.slug === me.team.slug }));
  out.result({ teams }, (r) =>
    out.table<Team & { current: boolean }>(
      [
        { header: "", value: (t) => (t.current ? "*" : "") },
        { header: "Slug", value: (t) => t.slug },
        { header: "Name", value: (t) => t.name },
        { header: "Role", value: (t) => t.role },
      ],
      r.teams,
    ),
  );
}

export async function runTeamsSwitch(
  opts: { slug?: string },
  { client, out, session }: ClientDeps & { session: Session },
): Promise<void> {
  const { teams } = await client.listTeams();
  const slug =
    opts.slug ??
    (await chooseOne(out, {
      message: "Which team should commands act on?",
      choices: teams.map((t) => ({ value: t.slug, label: t.slug, hint: `${t.name}, ${t.role}` })),
      missing: new HostingError("invalid_input", "which team? no slug given and this terminal cannot prompt", {
        hint: `Pass the team's slug as an argument (one of: ${teams.map((t) => t.slug).join(", ")})`,
      }),
    }));
  const team = teams.find((t) => t.slug === slug);
  if (!team) {
    throw new HostingError("not_found", `you are not a member of a team "${slug}"`, {
      hint: `Your teams: ${teams.map((t) => t.slug).join(", ")} (\`deco-hosting teams ls\`)`,
    });
  }
  await session.updateProfile({ team: team.slug });
  out.result({ profile: session.profileName, team: team.slug, role: team.role }, (r) =>
    out.success(`Commands now act on team ${out.style("bold", r.team)} (${r.role}, profile ${r.profile})`),
  );
}
