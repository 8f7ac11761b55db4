import { describe, expect, it } from "vitest";
import type { ConfigFile } from "../../src/auth/profiles.js";
import { withProfile } from "../../src/auth/profiles.js";
import { resolveConnection } from "../../src/auth/resolve.js";

const config: ConfigFile = {
  currentProfile: "work",
  profiles: {
    work: { apiUrl: "https://hosting.example.com/", team: "acme" },
    home: { apiUrl: "https://home.example.com" },
    local: { team: "side" },
  },
};

describe("resolveConnection", () => {
  it("uses the current profile's API URL, team and stored tokens", () => {
    const c = resolveConnection({}, {}, config);
    expect(c).toMatchObject({
      profileName: "work",
      profileExplicit: false,
      apiUrl: "https://hosting.example.com",
      team: "acme",
      tokenSource: "stored",
    });
  });

  it("--profile beats DECO_HOSTING_PROFILE beats the current profile", () => {
    expect(resolveConnection({}, { DECO_HOSTING_PROFILE: "home" }, config).profileName).toBe("home");
    expect(resolveConnection({ profile: "work" }, { DECO_HOSTING_PROFILE: "home" }, config).profileName).toBe("work");
    expect(resolveConnection({ profile: "work" }, {}, config).profileExplicit).toBe(true);
  });

  it("defaults to the profile named default", () => {
    expect(resolveConnection({}, {}, { profiles: {} }).profileName).toBe("default");
  });

  it("--api-url beats DECO_HOSTING_API_URL beats the profile", () => {
    const env = { DECO_HOSTING_API_URL: "https://env.example.com" };
    expect(resolveConnection({}, env, config).apiUrl).toBe("https://env.example.com");
    expect(resolveConnection({ apiUrl: "https://flag.example.com/" }, env, config).apiUrl).toBe(
      "https://flag.example.com",
    );
  });

  it("never sends a profile's stored tokens to another API URL", () => {
    expect(resolveConnection({ apiUrl: "https://elsewhere.example.com" }, {}, config).tokenSource).toBe("none");
    expect(resolveConnection({ apiUrl: "https://hosting.example.com" }, {}, config).tokenSource).toBe("stored");
  });

  it("DECO_HOSTING_TOKEN beats stored credentials and the local token", () => {
    expect(resolveConnection({}, { DECO_HOSTING_TOKEN: "k" }, config).tokenSource).toBe("env");
    expect(resolveConnection({}, { DECO_HOSTING_TOKEN: "k" }, { profiles: {} })).toMatchObject({
      apiUrl: undefined,
      tokenSource: "env",
    });
  });

  it("with no API configured anywhere, uses the embedded local server and its token", () => {
    expect(resolveConnection({}, {}, { profiles: {} })).toMatchObject({
      apiUrl: undefined,
      tokenSource: "local",
      team: undefined,
    });
    expect(resolveConnection({ profile: "local" }, {}, config)).toMatchObject({
      apiUrl: undefined,
      tokenSource: "local",
      team: "side",
    });
  });

  it("--team beats the profile's team", () => {
    expect(resolveConnection({ team: "other" }, {}, config).team).toBe("other");
  });
});

describe("withProfile", () => {
  it("patches one profile and drops fields set to undefined", () => {
    const next = withProfile(config, "work", { team: undefined });
    expect(next.profiles.work).toEqual({ apiUrl: "https://hosting.example.com/" });
    expect(next.profiles.home).toBe(config.profiles.home);
    expect(config.profiles.work?.team).toBe("acme");
  });
});
