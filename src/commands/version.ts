// The CLI's version: injected by scripts/build.mjs; "0.0.0-dev" when run from source (tests).
export const CLI_VERSION: string = typeof __VERSION__ === "string" ? __VERSION__ : "0.0.0-dev";
