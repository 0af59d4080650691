// mongosh script: create (or update in place) claimflow's least-privilege roles in the admin
// database, from ops/roles/claimflow-roles.json — the same file the least-privilege test applies
// to a real auth-enabled replica set, so what ships here is what was proven. Idempotent.
//
//   CLAIMFLOW_DB=scriptlogic mongosh "mongodb://admin@mongo1:27017/admin?replicaSet=rs0" ops/mongo-roles.js
//
// Then give each account exactly one role (README, "Compliance"):
//   db.getSiblingDB("admin").createUser({ user: "claimflow", pwd: passwordPrompt(),
//     roles: [{ role: "claimflowProcessor", db: "admin" }] })
//
// CLAIMFLOW_DB: the database of EDI_DATABASE_NAME (default scriptlogic).
// CLAIMFLOW_ROLES_FILE: another path to the role definitions (default: beside this script).

const fs = require("node:fs");
const path = require("node:path");

const DB_NAME = (process.env.CLAIMFLOW_DB || "scriptlogic").trim();
if (!/^[A-Za-z0-9_-]{1,63}$/.test(DB_NAME)) {
  throw new Error("CLAIMFLOW_DB must be 1-63 letters, digits, _ or - (the EDI_DATABASE_NAME)");
}

function rolesFile() {
  if (process.env.CLAIMFLOW_ROLES_FILE) return process.env.CLAIMFLOW_ROLES_FILE;
  // mongosh sets __dirname for a script it loads; from elsewhere, the repository layout.
  const here = typeof __dirname === "string" ? __dirname : path.resolve("ops");
  return path.join(here, "roles", "claimflow-roles.json");
}

// A failed command throws in mongosh (or answers { ok: 0 } in some versions): both are errors.
function adminCommand(command) {
  const res = db.adminCommand(command);
  if (res?.ok !== 1) {
    throw new Error(
      `${Object.keys(command)[0]} failed: ${(res && (res.codeName || res.errmsg)) || "no answer"}`,
    );
  }
  return res;
}

/** The createRole/updateRole body of one role definition, for database DB_NAME. */
function privilegesOf(def) {
  return def.privileges.map((p) => ({
    // `cluster: true`: a cluster-wide action (serverStatus for the oplog window), no documents.
    resource: p.cluster === true ? { cluster: true } : { db: p.db || DB_NAME, collection: p.collection },
    actions: p.actions.slice(),
  }));
}

const spec = JSON.parse(fs.readFileSync(rolesFile(), "utf8"));
for (const def of spec.roles) {
  const exists = adminCommand({ rolesInfo: { role: def.role, db: "admin" } }).roles.length > 0;
  const body = { privileges: privilegesOf(def), roles: [] };
  if (exists) adminCommand(Object.assign({ updateRole: def.role }, body));
  else adminCommand(Object.assign({ createRole: def.role }, body));
  print(
    `${exists ? "updated" : "created"} role admin.${def.role} (${body.privileges.length} privileges on ${DB_NAME})`,
  );
}
