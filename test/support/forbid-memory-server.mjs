// Loaded with `node --import`: any import of mongodb-memory-server fails, to prove which
// commands never load it (a production install has no devDependencies).
import { register } from "node:module";

const hook = `export async function resolve(specifier, context, next) {
  if (specifier === "mongodb-memory-server" || specifier.startsWith("mongodb-memory-server/"))
    throw new Error("FORBIDDEN: mongodb-memory-server imported");
  return next(specifier, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hook)}`);
