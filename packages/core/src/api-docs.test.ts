import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

describe('@awn/core API documentation', () => {
  it('every public export has a doc comment', () => {
    const file = fileURLToPath(new URL('./index.d.ts', import.meta.url));
    const program = ts.createProgram([file], {
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
    });
    const checker = program.getTypeChecker();
    const exports = checker.getExportsOfModule(checker.getSymbolAtLocation(program.getSourceFile(file)!)!);
    assert.ok(exports.length > 100, `only ${exports.length} exports found`);
    const undocumented = exports
      .filter((sym) => {
        const target = sym.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(sym) : sym;
        return ts.displayPartsToString(target.getDocumentationComment(checker)).trim() === '';
      })
      .map((s) => s.name);
    assert.deepEqual(undocumented, []);
  });
});
