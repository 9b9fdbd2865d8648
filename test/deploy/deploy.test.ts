// The deployment files stay valid: the compose file as docker-compose reads
// it (no engine needed), the config it mounts, and the systemd units' shape.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { postern } from '../support/cli.js';
import { createTestCa, issueLeaf } from '../support/pki.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

function installed(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
}
// Under CI the tool is installed by scripts/setup.sh: missing means failure, not a skip.
const skipUnless = (tool: string) => (installed(tool) || process.env.CI ? false : `${tool} is not installed (apt-get install ${tool})`);

describe('deployment files', () => {
  it('docker-compose accepts docker/compose.yml with MongoDB, the mta and the mailstore', { skip: skipUnless('docker-compose') }, () => {
    const result = spawnSync('docker-compose', ['-f', 'docker/compose.yml', 'config'], { cwd: root, encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    for (const service of ['mongodb:', 'mta:', 'mailstore:']) assert.match(result.stdout, new RegExp(`^  ${service}`, 'm'));
  });

  it('compose publishes 80 and 443 for the HTTP side and the metrics ports on the host loopback only', () => {
    const compose = readFileSync(`${root}docker/compose.yml`, 'utf8');
    for (const port of ['80:80', '443:443', '127.0.0.1:9154:9154', '127.0.0.1:9155:9155']) assert.match(compose, new RegExp(`^ {6}- "${port}"$`, 'm'), port);
    assert.doesNotMatch(compose, /^ {6}- "915[45]:/m, 'metrics are never published on every address');
  });

  it('the config compose mounts passes postern config check and uses the mongodb backend', async () => {
    // config check loads the TLS pair as start does: give a copy the pair the container mounts at /etc/postern/tls.
    const dir = mkdtempSync(join(tmpdir(), 'postern-deploy-'));
    try {
      const leaf = issueLeaf(createTestCa(join(dir, 'ca')), ['mail.example.com']);
      writeFileSync(join(dir, 'fullchain.pem'), leaf.fullchain);
      writeFileSync(join(dir, 'privkey.pem'), leaf.key);
      const config = join(dir, 'postern.toml');
      copyFileSync(`${root}docker/postern.toml`, config);
      writeFileSync(config, readFileSync(config, 'utf8').replaceAll('/etc/postern/tls/', `${dir}/`));
      const check = await postern(['-c', config, 'config', 'check']);
      assert.equal(check.code, 0, check.stderr);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const backend = await postern(['-c', `${root}docker/postern.toml`, 'config', 'get', 'store.backend']);
    assert.equal(backend.stdout.trim(), 'mongodb');
    for (const [key, value] of [['listen.http', '["0.0.0.0:80"]'], ['listen.https', '["0.0.0.0:443"]'], ['listen.metrics', '["0.0.0.0:9154"]'], ['listen.mta_metrics', '["0.0.0.0:9155"]']]) {
      const got = await postern(['-c', `${root}docker/postern.toml`, 'config', 'get', key!, '--json']);
      assert.equal(got.stdout.trim(), value!.replaceAll(' ', ''), key);
    }
  });

  it('the systemd units run postern mta and postern mailstore, stopped by SIGTERM, reloaded by SIGHUP', () => {
    for (const role of ['mta', 'mailstore']) {
      const unit = readFileSync(`${root}deploy/systemd/postern-${role}.service`, 'utf8');
      assert.match(unit, new RegExp(`^ExecStart=/usr/bin/postern ${role}$`, 'm'));
      assert.match(unit, /^KillSignal=SIGTERM$/m);
      assert.match(unit, /^ExecReload=\/bin\/kill -HUP \$MAINPID$/m);
      assert.match(unit, /^\[Install\]\nWantedBy=multi-user.target$/m);
    }
  });
});
