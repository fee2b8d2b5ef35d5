// Runs the CLI from source (tsx), for the demo and tests: no build step needed.
import { main } from '../src/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
