// Filters inside the common core of JavaScript RegExp and MongoDB's PCRE (src/domain/portable-regex.ts):
// accepted by config, and run through both engines by test/integration/stream-safety.test.ts.
export const PORTABLE = [
  "^GRP_001$",
  "^GRP_00[12]$",
  "^GRP_\\d+$",
  "^(GRP|GROUP)_0{1,2}[0-9]$",
  "^(?:A|B)\\w*?$",
  "GRP_.*",
  "[^A-Z]",
  "[-_A]",
  "[A-]",
  "^GRP\\.0\\(1\\)$",
  "a{2,}b{3}c?d+?",
  "x|",
];
