// build.js compiles src/*.sol with the npm solc package (solcjs) and writes
// one artifact per contract to artifacts/NAME.json: contract name, ABI,
// creation bytecode and the exact compiler version. Run it through
// build.sh, which pins the compiler version.
'use strict';
const fs = require('fs');
const path = require('path');
const solc = require('solc');

const src = path.join(__dirname, 'src');
const out = path.join(__dirname, 'artifacts');
const sources = {};
for (const f of fs.readdirSync(src).filter((f) => f.endsWith('.sol')).sort()) {
  sources[f] = { content: fs.readFileSync(path.join(src, f), 'utf8') };
}
const input = {
  language: 'Solidity',
  sources,
  settings: {
    optimizer: { enabled: true, runs: 200 },
    evmVersion: 'cancun',
    metadata: { bytecodeHash: 'none' },
    outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } },
  },
};
const res = JSON.parse(solc.compile(JSON.stringify(input)));
let failed = false;
for (const e of res.errors || []) {
  process.stderr.write(e.formattedMessage + '\n');
  if (e.severity === 'error') failed = true;
}
if (failed) process.exit(1);
fs.mkdirSync(out, { recursive: true });
const compiler = 'solc ' + solc.version();
for (const file of Object.keys(res.contracts).sort()) {
  for (const name of Object.keys(res.contracts[file]).sort()) {
    const c = res.contracts[file][name];
    if (c.evm.bytecode.object === '') continue; // interfaces
    const art = { contractName: name, source: 'src/' + file, compiler, settings: input.settings, abi: c.abi, bytecode: '0x' + c.evm.bytecode.object };
    fs.writeFileSync(path.join(out, name + '.json'), JSON.stringify(art, null, 1) + '\n');
  }
}
process.stderr.write('compiled with ' + compiler + '\n');
