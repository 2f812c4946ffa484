// The GraphQL over HTTP audit (graphql-http's auditServer) against one server.
//
// Usage: node tests/http_audit/audit.mjs URL [TOKEN]
//    or: AUDIT_URL=... AUDIT_TOKEN=... node tests/http_audit/audit.mjs
//
// With a token, every audit request carries `Authorization: Bearer TOKEN` (a staff
// token, say); without one it is sent anonymously. Prints one JSON array to stdout:
// [{"id", "name", "status", "reason"?, "httpStatus"?}], status one of ok, notice,
// warn, error (graphql-http's words: error fails a MUST, warn a SHOULD).
// Exits 0 whenever the audit ran, whatever it found; 2 on bad usage.
import { auditServer } from "graphql-http";

const url = process.argv[2] || process.env.AUDIT_URL;
const token = process.argv[3] || process.env.AUDIT_TOKEN || "";
if (!url) {
  console.error("usage: node audit.mjs URL [TOKEN]  (or AUDIT_URL, AUDIT_TOKEN)");
  process.exit(2);
}

function fetchWithToken(input, init = {}) {
  if (!token) {
    return fetch(input, init);
  }
  const headers = new Headers(init.headers);
  headers.set("authorization", `Bearer ${token}`);
  return fetch(input, { ...init, headers });
}

const results = await auditServer({ url, fetchFn: fetchWithToken });
const summary = results.map((result) => {
  const entry = { id: result.id, name: result.name, status: result.status };
  if (result.status !== "ok") {
    entry.reason = result.reason;
    if (result.response) {
      entry.httpStatus = result.response.status;
    }
  }
  return entry;
});
process.stdout.write(JSON.stringify(summary, null, 2) + "\n");
