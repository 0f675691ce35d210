import type { Command } from 'commander';
import { open } from 'node:fs/promises';
import { capability, curveKeyPair } from 'zeromq';
import { UsageError } from '../errors.js';

interface KeygenFlags {
  out: string;
  force?: boolean;
}

export function registerKeygen(program: Command): void {
  program
    .command('keygen')
    .description('write a new cluster CURVE keypair to a file (mode 0600) for --curve-keys')
    .requiredOption('-o, --out <file>', 'key file to create (JSON { "publicKey", "secretKey" }, z85)')
    .option('--force', 'replace the file if it exists')
    .addHelpText(
      'after',
      `
Copy the file to the coordinator and every worker (it holds the secret key: keep it private).

Examples:
  $ awn keygen --out cluster.keys
  $ awn coordinator --config run.yaml --host 0.0.0.0 --curve-keys cluster.keys`,
    )
    .action(async (flags: KeygenFlags) => {
      if (!capability.curve)
        throw new UsageError(
          'this zeromq build has no CURVE support (capability.curve is false): use AWN_CLUSTER_SECRET instead',
        );
      const keys = curveKeyPair();
      let handle;
      try {
        handle = await open(flags.out, flags.force ? 'w' : 'wx', 0o600);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        throw new UsageError(
          code === 'EEXIST'
            ? `${flags.out} exists (use --force to replace it)`
            : `cannot create ${flags.out}: ${code ?? (error as Error).message}`,
        );
      }
      try {
        await handle.chmod(0o600);
        await handle.writeFile(
          `${JSON.stringify({ publicKey: keys.publicKey, secretKey: keys.secretKey }, null, 2)}\n`,
        );
      } finally {
        await handle.close();
      }
      process.stdout.write(`wrote a CURVE keypair to ${flags.out} (mode 0600)\n`);
    });
}
