// Times curlconverter's in-process conversion of the commands in the JSON file argv[2]:
// prints {"python": [ms, ...]} with one duration per command.
import { readFileSync } from "node:fs";
import { toPython } from "curlconverter";

const commands = JSON.parse(readFileSync(process.argv[2], "utf8"));
for (const command of commands.slice(0, 50)) toPython(command); // warm up the parser
const durations = [];
for (const command of commands) {
  const start = process.hrtime.bigint();
  try {
    toPython(command);
  } catch {
    // a command it cannot convert still counts its time
  }
  durations.push(Number(process.hrtime.bigint() - start) / 1e6);
}
console.log(JSON.stringify({ python: durations }));
