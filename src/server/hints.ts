// The commands an error's hint names, in one place so they follow the CLI when it changes.
export const HINT = {
  signIn: "Run `deco-hosting login`, or set DECO_HOSTING_TOKEN to an API key",
  signInAgain: "Your sign-in ended; run `deco-hosting login` again",
  newApiKey: "Create a new key with `deco-hosting tokens create` (or sign in with `deco-hosting login`)",
  listTeams: "Run `deco-hosting teams ls` to see the teams you belong to",
  listSites: "Run `deco-hosting sites ls` to see this team's sites, or pass --team for another team",
  listMembers: "List this team's members with LIST_MEMBERS (GET /v1/members)",
  listApiKeys: "Run `deco-hosting tokens ls` to see this team's keys",
  // Members and team creation have no CLI command yet; the hints name the API operations.
  addOwner: "Add another owner first (ADD_MEMBER with role owner), then remove this one",
  noTeam: "Create a team (CREATE_TEAM, POST /v1/teams), or ask a team admin to add you",
  routes: "See GET /openapi.json for the routes this server serves",
} as const;
