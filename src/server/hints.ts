// The commands an error's hint names, in one place so they follow the CLI when it changes.
export const HINT = {
  signIn: "Run `deco-hosting login`, or set DECO_HOSTING_TOKEN to an API key",
  signInAgain: "Your sign-in ended; run `deco-hosting login` again",
  newApiKey: "Create a new key with `deco-hosting api-keys create` (or sign in with `deco-hosting login`)",
  listTeams: "Run `deco-hosting teams ls` to see the teams you belong to",
  listSites: "Run `deco-hosting sites ls` to see this team's sites, or pass --team for another team",
  listMembers: "Run `deco-hosting members ls` to see this team's members",
  listApiKeys: "Run `deco-hosting api-keys ls` to see this team's keys",
  routes: "See GET /openapi.json for the routes this server serves",
} as const;
