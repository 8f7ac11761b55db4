// The build injects __VERSION__; running from source (tests, tsx) has none.
export const SERVER_VERSION: string = typeof __VERSION__ === "string" ? __VERSION__ : "0.0.0-dev";
