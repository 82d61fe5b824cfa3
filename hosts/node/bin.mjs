#!/usr/bin/env node
// The `cellmqtt` command: the host CLI (hosts/node/cli.ts), run through tsx's loader so the
// TypeScript sources are the program, as on the device.
import { register } from "tsx/esm/api";

register({ tsconfig: new URL("../../tsconfig.json", import.meta.url).pathname });
await import("./cli.ts");
