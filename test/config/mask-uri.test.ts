// The URI claimflow logs and prints (connecting line, `status`, connection errors) is masked
// with the driver's own parser: no password, no credential option, whatever characters the
// secret holds.
import { describe, expect, it } from "vitest";
import { maskUri, scrubUriMessage, UNREADABLE_URI_HINT } from "../../src/config.js";

const SECRET = "S3cr3tMarker";

describe("maskUri", () => {
  const cases: [string, string][] = [
    ["a plain password", `mongodb://app:${SECRET}@db1:27017,db2:27017/claims?replicaSet=rs0`],
    ["a password with an escaped / and @", `mongodb://app:a%2F${SECRET}%40b@db1/claims`],
    ["a password with an unescaped /", `mongodb://app:x/${SECRET}@db1/claims`],
    ["a password with an unescaped @", `mongodb://app:x@${SECRET}@db1/claims`],
    ["a password with unescaped / and @", `mongodb://app:p@ss/${SECRET}@db1:27017,db2/claims`],
    [
      "an AWS session token",
      `mongodb://db1/?authMechanism=MONGODB-AWS&authMechanismProperties=AWS_SESSION_TOKEN:${SECRET}`,
    ],
    ["a TLS key password", `mongodb://db1/?tls=true&tlsCertificateKeyFilePassword=${SECRET}`],
    ["a proxy password", `mongodb://db1/?proxyHost=p&proxyUsername=u&proxyPassword=${SECRET}`],
    ["an option name in another case", `mongodb://db1/?TLSCertificateKeyFilePassword=${SECRET}`],
    ["an SRV URI", `mongodb+srv://app:${SECRET}@cluster0.example.net/claims?retryWrites=true`],
    ["a password only", `mongodb://:${SECRET}@db1/claims`],
  ];
  it.each(cases)("hides %s", (_name, uri) => {
    const masked = maskUri(uri);
    expect(masked).not.toContain(SECRET);
    expect(masked).not.toContain(SECRET.toLowerCase());
    expect(masked).toMatch(/^mongodb(\+srv)?:\/\//);
  });

  it("keeps what an operator needs: user, hosts, database, harmless options", () => {
    expect(maskUri(`mongodb://app:${SECRET}@db1:27017,db2:27017/claims?replicaSet=rs0&tls=true`)).toBe(
      "mongodb://app:***@db1:27017,db2:27017/claims?replicaSet=rs0&tls=true",
    );
    expect(maskUri("mongodb://db1/?authMechanismProperties=AWS_SESSION_TOKEN:x")).toBe(
      "mongodb://db1/?authMechanismProperties=***",
    );
  });

  it("says when no URI is set", () => {
    expect(maskUri(undefined)).toBe("(not set)");
  });
});

describe("scrubUriMessage", () => {
  it("replaces the whole message for a URI maskUri cannot show", () => {
    const uri = "mongodb://app:pw@Secr3t/x@127.0.0.1:9/";
    expect(scrubUriMessage("getaddrinfo ENOTFOUND secr3t", uri)).toBe(UNREADABLE_URI_HINT);
  });

  it("hides every credential of a readable URI, raw or decoded, in any case", () => {
    const uri =
      "mongodb://app:Pa%2Fss%40wd@h1:27017/?authMechanism=MONGODB-AWS&authMechanismProperties=AWS_SESSION_TOKEN:T0kenValue";
    const text = scrubUriMessage("bad: Pa/ss@wd, pa%2fss%40wd, t0kenvalue; host h1 refused", uri);
    expect(text).toBe("bad: ***, ***, ***; host h1 refused");
  });

  it("leaves a message alone without a URI or without secrets in it", () => {
    expect(scrubUriMessage("connect ECONNREFUSED 127.0.0.1:9", undefined)).toBe(
      "connect ECONNREFUSED 127.0.0.1:9",
    );
    expect(scrubUriMessage("connect ECONNREFUSED 127.0.0.1:9", "mongodb://app:pw1234@127.0.0.1:9/")).toBe(
      "connect ECONNREFUSED 127.0.0.1:9",
    );
  });
});
