import { describe, expect, it } from "vitest";
import { parseEdgeHost } from "../../../src/server/edge/host.js";

describe("parseEdgeHost", () => {
  it.each([
    ["blog.localhost", { site: "blog", label: null }],
    ["blog.localhost:8080", { site: "blog", label: null }],
    ["BLOG.LocalHost:8080", { site: "blog", label: null }],
    ["blog.localhost.", { site: "blog", label: null }],
    ["my-blog.localhost", { site: "my-blog", label: null }],
    ["staging--blog.localhost", { site: "blog", label: "staging" }],
    ["dpl-3f9a2c--my-blog.localhost:3000", { site: "my-blog", label: "dpl-3f9a2c" }],
    ["a1--b2.localhost", { site: "b2", label: "a1" }],
  ])("%s → %o", (header, expected) => {
    expect(parseEdgeHost(header)).toEqual(expected);
  });

  it.each([
    [undefined],
    [""],
    ["localhost"],
    ["localhost:8080"],
    [".localhost"],
    ["blog.example.com"],
    ["blog.localhost.evil.com"],
    ["bloglocalhost"],
    ["a.b.localhost"],
    ["--blog.localhost"],
    ["staging--.localhost"],
    ["staging--my--blog.localhost"],
    ["-blog.localhost"],
    ["blog-.localhost"],
    ["staging---blog.localhost"],
    ["bl_og.localhost"],
    ["blög.localhost"],
    ["[::1]:8080"],
    ["127.0.0.1:8080"],
    [`${"a".repeat(64)}.localhost`],
  ])("rejects %s", (header) => {
    expect(parseEdgeHost(header)).toBeNull();
  });

  it("uses the given base domain", () => {
    expect(parseEdgeHost("blog.apps.example.com:443", "apps.example.com")).toEqual({ site: "blog", label: null });
    expect(parseEdgeHost("pr-12--blog.Apps.Example.com", "apps.example.com")).toEqual({ site: "blog", label: "pr-12" });
    expect(parseEdgeHost("blog.localhost", "apps.example.com")).toBeNull();
    expect(parseEdgeHost("blog.other-apps.example.com", "apps.example.com")).toBeNull();
  });
});
