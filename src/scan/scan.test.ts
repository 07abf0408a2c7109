import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { scanText } from './scan-text.ts';
import type { FileKind, FingerprintSet } from './types.ts';

const B62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** A random base62 string: realistic token bodies, made at run time so no credential-shaped text sits in the repo. */
function rnd(n: number, alphabet = B62): string {
  return [...randomBytes(n)].map((b) => alphabet[b % alphabet.length]).join('');
}

/** Planted credentials: [file kind, file text, rule expected, the value that must never be shown]. */
function planted(): [FileKind, string, string, string][] {
  const gh = `ghp_${rnd(36)}`;
  const pat = `github_pat_${rnd(82, `${B62}_`)}`;
  const aws = `AKIA${rnd(16, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567')}`;
  const awsSecret = rnd(40, `${B62}/+`);
  const gcp = `AIza${rnd(35)}`;
  const slack = `xoxb-${rnd(12, '0123456789')}-${rnd(13, '0123456789')}-${rnd(24)}`;
  const hook = `https://hooks.slack.com/services/T${rnd(10, 'ABCDEFGHJKLMNPQRSTUVWXYZ0123456789')}/B${rnd(10, 'ABCDEFGHJKLMNPQRSTUVWXYZ0123456789')}/${rnd(24)}`;
  const openai = `sk-proj-${rnd(40)}T3BlbkFJ${rnd(40)}`;
  const legacyOpenai = `sk-${rnd(48)}`;
  const anthropic = `sk-ant-api03-${rnd(93, `${B62}_-`)}AA`;
  const stripe = `sk_live_${rnd(99)}`;
  const pem = `-----BEGIN OPENSSH PRIVATE KEY-----\n${rnd(64)}\n${rnd(64)}\n-----END OPENSSH PRIVATE KEY-----`;
  const dbPass = `Xk9-${rnd(18)}`;
  const urlPass = `p4ss-${rnd(12)}`;
  return [
    ['env', `GITHUB_TOKEN=${gh}\n`, 'github-token', gh],
    ['other', `const token = "${pat}";\n`, 'github-token', pat],
    [
      'profile',
      `export AWS_ACCESS_KEY_ID=${aws}\nexport AWS_SECRET_ACCESS_KEY=${awsSecret}\n`,
      'aws-access-key-id',
      aws,
    ],
    [
      'profile',
      `export AWS_SECRET_ACCESS_KEY="${awsSecret}"\n`,
      'aws-secret-access-key',
      awsSecret,
    ],
    ['json', `{"maps": {"key": "${gcp}"}}`, 'gcp-api-key', gcp],
    ['yaml', `slack:\n  bot_token: ${slack}\n`, 'slack-token', slack],
    ['ci', `steps:\n  - run: curl -X POST ${hook}\n`, 'slack-webhook', hook],
    ['env', `OPENAI_API_KEY='${openai}'\n`, 'openai-api-key', openai],
    ['other', `key = ${legacyOpenai}\n`, 'openai-api-key', legacyOpenai],
    ['other', `client = Anthropic(api_key="${anthropic}")\n`, 'anthropic-api-key', anthropic],
    ['json', `{"stripe": {"secret": "${stripe}"}}\n`, 'stripe-secret-key', stripe],
    ['other', `${pem}\n`, 'private-key', pem.split('\n')[1] ?? ''],
    ['env', `DB_PASSWORD=${dbPass}\n`, 'generic-assignment', dbPass],
    [
      'yaml',
      `database:\n  url: postgres://app:${urlPass}@db.internal:5432/app\n`,
      'url-credentials',
      urlPass,
    ],
  ];
}

test('planted credentials of every shape are found, with masked excerpts that never hold the value', () => {
  for (const [kind, text, rule, value] of planted()) {
    const findings = scanText(text, `f.${kind}`, kind, null);
    assert.ok(
      findings.some((f) => f.rule === rule),
      `${rule} in ${JSON.stringify(text.slice(0, 40))}: ${JSON.stringify(findings)}`,
    );
    for (const f of findings) {
      assert.ok(!f.excerpt.includes(value), `${rule} excerpt shows the value: ${f.excerpt}`);
      assert.ok(!f.excerpt.includes(value.slice(-12)), `${rule} excerpt shows part of the value`);
    }
  }
});

/** Lookalikes: text that resembles a credential but is not one. None may be reported. */
const LOOKALIKES: [FileKind, string][] = [
  ['profile', 'export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n'],
  ['env', 'GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n'],
  ['env', `GITHUB_TOKEN=ghp_${'a1'.repeat(17)}\n`],
  ['env', 'GITHUB_TOKEN=ghp_short123\n'],
  ['env', 'OPENAI_API_KEY=sk-your-key-here\n'],
  ['env', 'STRIPE_KEY=sk_live_your_key_here\n'],
  ['env', 'SLACK_BOT_TOKEN=xoxb-your-token\n'],
  ['env', 'API_KEY=changeme\n'],
  ['env', 'PASSWORD=\n'],
  ['env', 'DB_PASSWORD_FILE=/run/secrets/db_password\n'],
  [
    'env',
    'SECRET_KEY="encrypted:BDb7t1WJ3yWCBuGWt7uFQ3oqCEvh6FykvvsJ2VDYhvfZRbtqeGWp0Rx3wKgXMb5zqxVmmNCXDx0NgnI6jBhTXDI6k7Y6mbBzPt"\n',
  ],
  ['env', 'GITHUB_TOKEN=alk_ph_7m3k9q2x8v4n6p1r5t0w\n'],
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal interpolation is the test data
  ['env', 'OPENAI_API_KEY=${OPENAI_API_KEY}\n'],
  ['env', 'TOKEN=$(cat /run/secrets/token)\n'],
  ['env', 'SERVICE_TOKEN=env:GITHUB_TOKEN\n'],
  [
    'ci',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal interpolation is the test data
    'env:\n  GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}\n  NPM_TOKEN: ${{ secrets.NPM_TOKEN }}\n',
  ],
  ['yaml', 'password: "<your password>"\ntoken_url: https://auth.example.com/oauth/token\n'],
  ['yaml', 'auth: true\nsecret_name: prod-db-password\n'],
  ['json', '{"tokenizer": "cl100k_base", "max_tokens": 4096, "passwordPolicy": "strong"}\n'],
  [
    'json',
    '{"integrity": "sha512-3FqZyEqWFhQyFhQ2u5fXzK1q7O1ZBxY1bXkz2b9Zl0Y8z1q8aF5dXkXzq2xj5f5Tn8Q2Y6uQx9Zb3o0jE9Rcw=="}\n',
  ],
  [
    'other',
    '-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----\n',
  ],
  ['other', '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ\n-----END CERTIFICATE-----\n'],
  ['other', 'commit 3f786850e387550fdab836ed7e6dc881de23001b\n'],
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal interpolation is the test data
  ['yaml', 'database:\n  url: postgres://app:${DB_PASSWORD}@db:5432/app\n'],
  ['other', 'see https://docs.stripe.com/keys for sk_live_ and rk_live_ prefixes\n'],
  ['other', 'const PASSWORD = process.env.PASSWORD;\n'],
];

test('no false positive on a list of lookalikes', () => {
  for (const [kind, text] of LOOKALIKES) {
    const findings = scanText(text, `lookalike.${kind}`, kind, null);
    assert.deepEqual(
      findings,
      [],
      `${kind}: ${JSON.stringify(text)} gave ${JSON.stringify(findings.map((f) => f.rule))}`,
    );
  }
});

test('a value Airlock holds is found by keyed hash, in any kind of file, and outranks other rules', () => {
  const value = `horse-battery-${rnd(10)}`;
  const key = randomBytes(32);
  const set: FingerprintSet = {
    key,
    fingerprints: [
      {
        name: 'db',
        length: Buffer.byteLength(value),
        hmac: createHmac('sha256', key).update(value).digest('hex'),
      },
      { name: 'other', length: 99, hmac: '00' },
    ],
  };
  for (const text of [
    `notes: ${value}\n`,
    `x = "${value}"`,
    `DB_PASSWORD=${value}\n`,
    `a\nb ${value} c\n`,
  ]) {
    const findings = scanText(text, 'notes.txt', 'env', set);
    assert.deepEqual(
      findings.map((f) => [f.rule, f.secret]),
      [['airlock-secret', 'db']],
      text,
    );
    assert.ok(!findings[0]?.excerpt.includes(value));
  }
  assert.deepEqual(scanText(`notes: horse-battery-${rnd(10)}\n`, 'n', 'other', set), []);
});

test('findings point at the line and column of the credential', () => {
  const gh = `ghp_${rnd(36)}`;
  const [f] = scanText(`# header\n\nexport GITHUB_TOKEN=${gh}\n`, '.bashrc', 'profile', null);
  assert.equal(f?.line, 3);
  assert.equal(f?.column, 'export GITHUB_TOKEN='.length + 1);
  assert.equal(f?.excerpt, 'export GITHUB_TOKEN=ghp_************');
});
