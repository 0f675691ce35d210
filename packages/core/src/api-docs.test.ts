import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** Every name a declaration file exports, with its doc comment ('' when it has none). */
function exportsOf(declarationFile: string): Map<string, string> {
  const file = fileURLToPath(new URL(declarationFile, import.meta.url));
  const program = ts.createProgram([file], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
  });
  const checker = program.getTypeChecker();
  const symbols = checker.getExportsOfModule(checker.getSymbolAtLocation(program.getSourceFile(file)!)!);
  return new Map(
    symbols.map((sym) => {
      const target = sym.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(sym) : sym;
      return [sym.name, ts.displayPartsToString(target.getDocumentationComment(checker)).trim()];
    }),
  );
}

describe('@awn/core API surface', () => {
  const publicApi = exportsOf('./index.d.ts');
  const internalApi = exportsOf('./internal.d.ts');

  it('every public export has a doc comment', () => {
    assert.ok(publicApi.size > 100, `only ${publicApi.size} exports found`);
    const undocumented = [...publicApi].filter(([, doc]) => doc === '').map(([name]) => name);
    assert.deepEqual(undocumented, []);
  });

  it('the internal entry point is a superset of the public one and documents what it adds', () => {
    const missing = [...publicApi.keys()].filter((name) => !internalApi.has(name));
    assert.deepEqual(missing, []);
    const added = [...internalApi].filter(([name]) => !publicApi.has(name));
    assert.ok(added.length > 30, `only ${added.length} internal-only exports`);
    assert.deepEqual(
      added.filter(([, doc]) => doc === '').map(([name]) => name),
      [],
    );
  });

  it('wire encodings, file naming and kernels stay out of the public API', () => {
    for (const name of [
      'encodeCheckpoint',
      'decodeTrainingState',
      'checkpointFileName',
      'pruneCheckpoints',
      'computeGradients',
      'matMulFast',
      'WASM_HEAP_BYTES',
      'deriveState',
    ]) {
      assert.equal(publicApi.has(name), false, `${name} is public`);
      assert.equal(internalApi.has(name), true, `${name} is missing from @awn/core/internal`);
    }
  });
});
