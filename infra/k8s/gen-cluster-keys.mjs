#!/usr/bin/env node
// Prints a fresh cluster-keys.env for the awn-cluster-keys Secret:
//   node infra/k8s/gen-cluster-keys.mjs > infra/k8s/base/cluster-keys.env
// AWN_CLUSTER_SECRET signs every coordinator/worker message (HMAC); the CURVE pair encrypts and
// authenticates metric snapshots sent to the exporter. Run from the repository root, where
// node_modules holds zeromq.
import { randomBytes } from 'node:crypto';
import { curveKeyPair } from 'zeromq';

const metrics = curveKeyPair();
process.stdout.write(
  [
    `AWN_CLUSTER_SECRET=${randomBytes(32).toString('hex')}`,
    `AWN_METRICS_CURVE_PUBLIC_KEY=${metrics.publicKey}`,
    `AWN_METRICS_CURVE_SECRET_KEY=${metrics.secretKey}`,
    '',
  ].join('\n'),
);
