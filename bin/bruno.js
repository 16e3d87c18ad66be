#!/usr/bin/env node
// The development launcher (`npm start`, the tests): runs the sources through tsx, so what runs is
// always what is in src/, with no build step. The installed `bruno` command is the compiled
// dist/cli/bin.js (package.json "bin"), which starts several times faster.
import { register } from "tsx/esm/api";

register();
await import("../src/cli/bin.ts");
