import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseYamlDocuments } from './yaml-subset.js';

test('reads the block YAML kustomize prints', () => {
  const docs = parseYamlDocuments(`apiVersion: v1
kind: Service
metadata:
  labels:
    app.kubernetes.io/name: awn
  name: a
spec:
  ports:
  - name: http
    port: 80
    targetPort: http
  - port: 81
  clusterIP: None
  empty: {}
  none: []
---
data:
  train.json: |
    {
      "a": 1
    }
  key: |-
    abc
    def
  quoted: 'it''s'
  dq: "x: y"
  flag: true
  ratio: 0.5
  nested:
  - - 1
    - 2
  - plain
  nothing:
`);
  assert.deepEqual(docs, [
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { labels: { 'app.kubernetes.io/name': 'awn' }, name: 'a' },
      spec: { ports: [{ name: 'http', port: 80, targetPort: 'http' }, { port: 81 }], clusterIP: 'None', empty: {}, none: [] },
    },
    {
      data: {
        'train.json': '{\n  "a": 1\n}\n',
        key: 'abc\ndef',
        quoted: "it's",
        dq: 'x: y',
        flag: true,
        ratio: 0.5,
        nested: [[1, 2], 'plain'],
        nothing: null,
      },
    },
  ]);
});

test('refuses what it does not understand instead of misreading it', () => {
  assert.throws(() => parseYamlDocuments('a: [1, 2]\n'), /unsupported YAML syntax/);
  assert.throws(() => parseYamlDocuments('a: >\n  folded\n'), /unsupported YAML syntax/);
  assert.throws(() => parseYamlDocuments('a: b\n  c: d\n'), /unexpected indentation/);
  assert.throws(() => parseYamlDocuments('a: 1\na: 2\n'), /duplicate key/);
  assert.throws(() => parseYamlDocuments('a: &x 1\n'), /unsupported YAML syntax/);
});
