'use strict';
// The package has the whole surface tests/scenarios/surface.json lists: classes and helpers by
// reflection on the loaded module, options and error codes from the published index.d.ts read
// with the TypeScript compiler. An entry marked as a Node gap must really be missing.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const ts = require('typescript');

const api = require('..');

const manifest = JSON.parse(
  fs.readFileSync(path.join(__dirname, '../../tests/scenarios/surface.json'), 'utf8'),
);

const declarations = (() => {
  const file = path.join(__dirname, '../index.d.ts');
  const program = ts.createProgram([file], { strict: true, types: [] });
  const checker = program.getTypeChecker();
  const exports = checker.getExportsOfModule(checker.getSymbolAtLocation(program.getSourceFile(file)));
  const typeOf = (name) => {
    const symbol = exports.find((s) => s.getName() === name);
    assert.ok(symbol, `index.d.ts exports no ${name}`);
    return checker.getDeclaredTypeOfSymbol(symbol);
  };
  return {
    properties: (...names) =>
      new Set(names.flatMap((name) => checker.getPropertiesOfType(typeOf(name)).map((p) => p.getName()))),
    literals: (name) => new Set(typeOf(name).types.map((t) => t.value)),
  };
})();

const camel = (snake) => snake.replace(/_([a-z])/g, (_, c) => c.toUpperCase());
/** Node's name for an entry: error codes stay the core's snake_case (`err.code`). */
const nodeName = (section, name) => (section === 'error_kinds' ? name : camel(name));

/** `Class.member` on the loaded module: a static or prototype member. */
function hasMember(owner, member) {
  return member in owner || member in owner.prototype;
}

const clientOptions = declarations.properties('ClientOptions', 'ConnectionStringOptions', 'EndpointOptions');
const simulatorOptions = declarations.properties('SimulatorOptions');
const errorCodes = declarations.literals('SignalRErrorCode');

const finders = {
  client_options: (name) =>
    name.includes('.') ? hasMember(api[name.split('.')[0]], name.split('.')[1]) : clientOptions.has(name),
  client_methods: (name) => hasMember(api.ServiceClient, name),
  hub_methods: (name) => hasMember(api.HubClient, name),
  simulator_options: (name) => simulatorOptions.has(name),
  simulator_methods: (name) => hasMember(api.Simulator, name),
  virtual_client_methods: (name) => hasMember(api.VirtualClient, name),
  error_kinds: (name) => errorCodes.has(name),
  helpers: (name) => name.split('.').reduce((owner, part) => owner?.[part], api) !== undefined,
};

test('every section of the manifest has a finder', () => {
  assert.deepEqual(Object.keys(manifest.sections).sort(), Object.keys(finders).sort());
});

for (const [section, entries] of Object.entries(manifest.sections)) {
  for (const entry of entries) {
    test(`${section}.${entry.name}`, () => {
      const spec = entry.node ?? nodeName(section, entry.name);
      const find = finders[section];
      if (typeof spec === 'object') {
        assert.ok(
          !find(nodeName(section, entry.name)),
          `${section}.${entry.name} is listed as a Node gap (${spec.gap}) but exists; remove the gap`,
        );
      } else {
        assert.ok(find(spec), `${section}.${entry.name}: the package has no ${spec}`);
      }
    });
  }
}
