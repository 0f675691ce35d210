import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT as REPO_ROOT, toolAvailable, yamlDocuments } from '../helpers.js';

// Renders the kustomize overlays and checks that the objects fit together: every Service selects
// pods that exist, targets ports those pods declare, the commands use the ports and names the
// Services publish, and references to the generated Secret and ConfigMap resolve.

type Obj = Record<string, any>;

interface Rendered {
  objects: Obj[];
  keys: Record<string, string>;
}

function render(overlay: string): Rendered {
  const dir = mkdtempSync(join(tmpdir(), 'awn-k8s-'));
  try {
    cpSync(join(REPO_ROOT, 'infra/k8s'), dir, { recursive: true });
    // The documented way to create the (never committed) cluster keys.
    const gen = spawnSync(process.execPath, [join(REPO_ROOT, 'infra/k8s/gen-cluster-keys.mjs')], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      timeout: 20_000,
    });
    assert.equal(gen.status, 0, gen.stderr);
    writeFileSync(join(dir, 'base/cluster-keys.env'), gen.stdout);
    const keys = Object.fromEntries(
      gen.stdout
        .trim()
        .split('\n')
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    const out = spawnSync('kubectl', ['kustomize', join(dir, 'overlays', overlay)], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(out.status, 0, `kubectl kustomize ${overlay} failed:\n${out.stderr}`);
    return { objects: yamlDocuments(out.stdout) as Obj[], keys };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function find(objects: Obj[], kind: string, name: string): Obj {
  const hit = objects.find((o) => o['kind'] === kind && o['metadata']?.['name'] === name);
  assert.ok(hit, `${kind}/${name} is rendered`);
  return hit;
}

function podTemplate(workload: Obj): Obj {
  return workload['spec']['template'];
}

function subset(selector: Record<string, string>, labels: Record<string, string> | undefined): boolean {
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

function container(workload: Obj, name: string): Obj {
  const c = podTemplate(workload)['spec']['containers'].find((x: Obj) => x['name'] === name);
  assert.ok(c, `${workload['metadata']['name']} has container ${name}`);
  return c;
}

function flagValue(args: string[], flag: string): string {
  const i = args.indexOf(flag);
  assert.ok(i >= 0 && i + 1 < args.length, `args ${JSON.stringify(args)} contain ${flag}`);
  return args[i + 1]!;
}

/** The Service port a tcp://host:port address reaches, and the container port behind it. */
function resolveAddress(objects: Obj[], address: string): { service: Obj; containerPort: Obj } {
  const m = /^tcp:\/\/([a-z0-9-]+):(\d+)$/.exec(address);
  assert.ok(m, `${address} is tcp://service:port`);
  const service = find(objects, 'Service', m[1]!);
  const port = service['spec']['ports'].find((p: Obj) => p['port'] === Number(m[2]));
  assert.ok(port, `Service ${m[1]} publishes port ${m[2]}`);
  const target = backingContainerPorts(objects, service).find(
    (cp) => cp['name'] === port['targetPort'] || cp['containerPort'] === port['targetPort'],
  );
  assert.ok(target, `${address} reaches a container port`);
  return { service, containerPort: target };
}

function workloads(objects: Obj[]): Obj[] {
  return objects.filter((o) => ['Deployment', 'Job', 'StatefulSet', 'DaemonSet'].includes(o['kind']));
}

function backingContainerPorts(objects: Obj[], service: Obj): Obj[] {
  const selector = service['spec']['selector'] as Record<string, string>;
  return workloads(objects)
    .filter((w) => subset(selector, podTemplate(w)['metadata']['labels']))
    .flatMap((w) => podTemplate(w)['spec']['containers'].flatMap((c: Obj) => c['ports'] ?? []));
}

function checkConsistency(overlay: string, { objects, keys }: Rendered): void {
  const namespaced = objects.filter((o) => o['kind'] !== 'Namespace');
  for (const o of namespaced)
    assert.equal(o['metadata']['namespace'], 'awn', `${o['kind']}/${o['metadata']['name']} in awn`);
  assert.ok(objects.some((o) => o['kind'] === 'Namespace' && o['metadata']['name'] === 'awn'));

  for (const w of workloads(objects)) {
    const name = `${w['kind']}/${w['metadata']['name']}`;
    const selector = w['spec']['selector']?.['matchLabels'];
    if (w['kind'] !== 'Job')
      assert.ok(subset(selector, podTemplate(w)['metadata']['labels']), `${name} selects its own pods`);
    for (const c of podTemplate(w)['spec']['containers']) {
      assert.equal(c['image'], `awn:${overlay}`, `${name} runs the ${overlay} image`);
      assert.deepEqual(c['command'], ['node', 'apps/cli/dist/main.js']);
      assert.ok(
        c['resources']?.['requests']?.['cpu'] && c['resources']?.['requests']?.['memory'],
        `${name} requests resources`,
      );
      for (const env of c['env'] ?? []) {
        const ref = env['valueFrom']?.['secretKeyRef'];
        if (!ref) continue;
        const secret = find(objects, 'Secret', ref['name']);
        const data = secret['data']?.[ref['key']];
        assert.ok(data, `Secret ${ref['name']} has key ${ref['key']}`);
        assert.equal(
          Buffer.from(data, 'base64').toString(),
          keys[ref['key']],
          `${ref['key']} survives kustomize intact`,
        );
      }
      for (const v of podTemplate(w)['spec']['volumes'] ?? []) {
        if (v['configMap']) find(objects, 'ConfigMap', v['configMap']['name']);
      }
    }
  }

  for (const service of objects.filter((o) => o['kind'] === 'Service')) {
    const name = service['metadata']['name'];
    const selector = service['spec']['selector'];
    assert.ok(selector && Object.keys(selector).length > 0, `Service ${name} has a selector`);
    const backing = workloads(objects).filter((w) => subset(selector, podTemplate(w)['metadata']['labels']));
    assert.equal(backing.length, 1, `Service ${name} selects the pods of exactly one workload`);
    const ports = backingContainerPorts(objects, service);
    for (const p of service['spec']['ports']) {
      assert.ok(
        ports.some((cp) => cp['name'] === p['targetPort'] || cp['containerPort'] === p['targetPort']),
        `Service ${name} port ${p['port']} targets a declared container port (${p['targetPort']})`,
      );
      const cp = ports.find((x) => x['name'] === p['targetPort'] || x['containerPort'] === p['targetPort']);
      assert.equal(cp!['containerPort'], p['port'], `Service ${name} keeps port numbers equal to container ports`);
    }
  }

  const coordinator = find(objects, 'Deployment', 'awn-coordinator');
  const coordArgs: string[] = container(coordinator, 'coordinator')['args'];
  assert.deepEqual(coordArgs.slice(0, 3), ['coordinator', '--config', '/config/train.json']);
  const coordPort = container(coordinator, 'coordinator')['ports'].find((p: Obj) => p['name'] === 'rendezvous');
  assert.equal(Number(flagValue(coordArgs, '--port')), coordPort['containerPort']);
  const config = objects.find((o) => o['kind'] === 'ConfigMap' && o['metadata']['name'].startsWith('awn-train-config'));
  assert.ok(config, 'the training config is rendered');
  assert.doesNotThrow(() => JSON.parse(config['data']['train.json']), 'train.json is JSON');
  const mount = container(coordinator, 'coordinator')['volumeMounts'].find((m: Obj) => m['name'] === 'config');
  assert.equal(mount['mountPath'], '/config');

  const job = find(objects, 'Job', 'awn-worker');
  assert.equal(job['spec']['completionMode'], 'Indexed');
  assert.equal(job['spec']['completions'], job['spec']['parallelism']);
  const headless = find(objects, 'Service', job['spec']['template']['spec']['subdomain']);
  assert.equal(headless['spec']['clusterIP'], 'None', 'workers get per-pod DNS from a headless Service');
  const worker = container(job, 'worker');
  assert.equal(worker['args'][0], 'worker');
  const coordinatorAddress = flagValue(worker['args'], '--coordinator');
  assert.equal(resolveAddress(objects, coordinatorAddress).containerPort['name'], 'rendezvous');
  const rank = worker['env'].find((e: Obj) => e['name'] === 'AWN_RANK');
  assert.equal(
    rank['valueFrom']['fieldRef']['fieldPath'],
    "metadata.annotations['batch.kubernetes.io/job-completion-index']",
  );
  const advertise = worker['env'].find((e: Obj) => e['name'] === 'AWN_ADVERTISE_ADDRESS')['value'];
  const collective = worker['ports'].find((p: Obj) => p['name'] === 'collective')['containerPort'];
  assert.equal(
    advertise,
    `tcp://awn-worker-$(AWN_RANK).${headless['metadata']['name']}.$(POD_NAMESPACE).svc:${collective}`,
  );

  const exporter = find(objects, 'Deployment', 'awn-metrics-exporter');
  const exp = container(exporter, 'metrics-exporter');
  assert.equal(exp['args'][0], 'metrics-exporter');
  const expPorts = Object.fromEntries(exp['ports'].map((p: Obj) => [p['name'], p['containerPort']]));
  assert.equal(Number(flagValue(exp['args'], '--port')), expPorts['metrics']);
  assert.equal(Number(/:(\d+)$/.exec(flagValue(exp['args'], '--listen'))![1]), expPorts['snapshots']);
  assert.equal(exp['readinessProbe']['httpGet']['path'], '/healthz');
  for (const w of [coordinator, job]) {
    for (const c of podTemplate(w)['spec']['containers']) {
      const endpoint = c['env'].find((e: Obj) => e['name'] === 'AWN_METRICS_ENDPOINT')['value'];
      assert.equal(
        resolveAddress(objects, endpoint).containerPort['name'],
        'snapshots',
        `${endpoint} reaches the exporter`,
      );
    }
  }

  const monitors = objects.filter((o) => o['kind'] === 'ServiceMonitor');
  assert.equal(monitors.length, 1);
  const monitor = monitors[0]!;
  const monitored = objects.filter(
    (o) => o['kind'] === 'Service' && subset(monitor['spec']['selector']['matchLabels'], o['metadata']['labels']),
  );
  assert.deepEqual(
    monitored.map((s) => s['metadata']['name']),
    ['awn-metrics-exporter'],
  );
  for (const endpoint of monitor['spec']['endpoints']) {
    assert.ok(
      monitored[0]!['spec']['ports'].some((p: Obj) => p['name'] === endpoint['port']),
      `ServiceMonitor port ${endpoint['port']}`,
    );
    assert.equal(endpoint['path'], '/metrics');
  }
}

const skipReason = toolAvailable('kubectl', ['version', '--client']) ? undefined : 'kubectl not installed';

test('the cpu overlay renders a consistent cluster', { timeout: 120_000 }, (t) => {
  if (skipReason) return t.skip(skipReason);
  const rendered = render('cpu');
  checkConsistency('cpu', rendered);
  const text = JSON.stringify(rendered.objects);
  assert.ok(!text.includes('nvidia.com/gpu'), 'no GPU requested on CPU');
});

test('the gpu overlay renders a consistent cluster with one GPU per worker', { timeout: 120_000 }, (t) => {
  if (skipReason) return t.skip(skipReason);
  const rendered = render('gpu');
  checkConsistency('gpu', rendered);
  const worker = container(find(rendered.objects, 'Job', 'awn-worker'), 'worker');
  assert.equal(worker['resources']['limits']['nvidia.com/gpu'], 1);
  assert.equal(worker['resources']['requests']['nvidia.com/gpu'], 1);
  for (const name of ['awn-coordinator', 'awn-metrics-exporter']) {
    const d = find(rendered.objects, 'Deployment', name);
    assert.ok(!JSON.stringify(d).includes('nvidia.com/gpu'), `${name} does not hold a GPU`);
  }
});
