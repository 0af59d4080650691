// mongosh script: initiate the 3-member replica set rs0 of docker-compose.replset.yml and wait
// until it has a primary, so services started after this one-shot job can write at once.
// Idempotent: on an initiated set it only waits for the primary (a `docker-compose up` after a
// restart runs it again).
//   mongosh --quiet --host mongo1:27017 /scripts/replset-init.js

const REPLICA_SET = "rs0";
const MEMBERS = ["mongo1:27017", "mongo2:27017", "mongo3:27017"];
const PRIMARY_TIMEOUT_MS = 120000;

// mongosh throws a MongoServerError for a failed command; a command answering { ok: 0 } is
// handled the same way, so the script does not depend on which of the two a shell version does.
function adminCommand(command) {
  let res;
  try {
    res = db.adminCommand(command);
  } catch (err) {
    return { ok: 0, code: err.code, codeName: err.codeName, errmsg: err.message };
  }
  return res;
}

function replicaSetStatus() {
  const res = adminCommand({ replSetGetStatus: 1 });
  if (res.ok === 1) return res;
  // 94 NotYetInitialized is the only answer that means "initiate me".
  if (res.code === 94) return null;
  throw new Error(`replSetGetStatus failed: ${res.codeName || ""} ${res.errmsg || ""}`);
}

function initiate() {
  const config = {
    _id: REPLICA_SET,
    // mongo1 is preferred as primary so the first election is predictable; any member can take over.
    members: MEMBERS.map((host, i) => ({ _id: i, host, priority: i === 0 ? 2 : 1 })),
  };
  const res = adminCommand({ replSetInitiate: config });
  // 23 AlreadyInitialized: another run won the race, which is fine.
  if (res.ok !== 1 && res.code !== 23) {
    throw new Error(`replSetInitiate failed: ${res.codeName || ""} ${res.errmsg || ""}`);
  }
  print(`replica set ${REPLICA_SET} initiated with ${MEMBERS.join(", ")}`);
}

function waitForPrimary() {
  const deadline = Date.now() + PRIMARY_TIMEOUT_MS;
  let last = "no status yet";
  while (Date.now() < deadline) {
    // Right after an initiate, members are still loading the config: keep asking until one wins.
    const res = adminCommand({ replSetGetStatus: 1 });
    const primary = res.ok === 1 ? res.members.find((m) => m.stateStr === "PRIMARY") : undefined;
    if (primary) {
      print(`replica set ${REPLICA_SET} primary: ${primary.name}`);
      return;
    }
    last = res.ok === 1 ? res.members.map((m) => `${m.name} ${m.stateStr}`).join(", ") : res.codeName;
    sleep(1000);
  }
  throw new Error(`replica set ${REPLICA_SET} has no primary after ${PRIMARY_TIMEOUT_MS / 1000}s (${last})`);
}

const existing = replicaSetStatus();
if (existing) {
  if (existing.set !== REPLICA_SET) {
    throw new Error(`this mongod belongs to replica set ${existing.set}, expected ${REPLICA_SET}`);
  }
  print(`replica set ${REPLICA_SET} already initiated`);
} else {
  initiate();
}
waitForPrimary();
