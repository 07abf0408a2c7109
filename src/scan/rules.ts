/**
 * Known credential shapes, as data. Each rule names a provider's token
 * format precisely enough that a match is a credential, not a lookalike;
 * `keep` is how many leading characters are a public prefix that a masked
 * excerpt may show (`ghp_`), never more.
 */
export interface TokenRule {
  readonly id: string;
  readonly title: string;
  /** Global regex; capture group 1 (or the whole match) is the credential. */
  readonly pattern: RegExp;
  readonly keep: number;
  /** Least Shannon entropy (bits per character) of the part after `keep`: placeholders like `ghp_xxxx…` fall below. */
  readonly minEntropy: number;
}

/** Every token rule, most specific first (Anthropic before OpenAI's `sk-`). */
export const TOKEN_RULES: readonly TokenRule[] = [
  {
    id: 'private-key',
    title: 'Private key block',
    pattern:
      /-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----[\s\S]{0,12000}?(?:-----END[^-]*-----|$)/g,
    keep: 0,
    minEntropy: 0,
  },
  {
    id: 'aws-access-key-id',
    title: 'AWS access key id',
    pattern: /\b((?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16})\b/g,
    keep: 4,
    minEntropy: 2.5,
  },
  {
    id: 'aws-secret-access-key',
    title: 'AWS secret access key',
    pattern: /aws_?secret_?access_?key["']?\s*[:=]\s*["']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])/gi,
    keep: 0,
    minEntropy: 3.5,
  },
  {
    id: 'gcp-api-key',
    title: 'Google API key',
    pattern: /\b(AIza[0-9A-Za-z_-]{35})(?![0-9A-Za-z_-])/g,
    keep: 4,
    minEntropy: 3,
  },
  {
    id: 'github-token',
    title: 'GitHub token',
    pattern: /\b(gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{82})\b/g,
    keep: 4,
    minEntropy: 3,
  },
  {
    id: 'slack-token',
    title: 'Slack token',
    pattern: /\b(xox[abposr]-[0-9]{8,}-[0-9A-Za-z-]{8,})/g,
    keep: 5,
    minEntropy: 2.5,
  },
  {
    id: 'slack-webhook',
    title: 'Slack webhook URL',
    pattern:
      /(https:\/\/hooks\.slack\.com\/services\/T[A-Z0-9]{8,}\/B[A-Z0-9]{8,}\/[A-Za-z0-9]{24})/g,
    keep: 33,
    minEntropy: 3,
  },
  {
    id: 'anthropic-api-key',
    title: 'Anthropic API key',
    pattern: /\b(sk-ant-(?:api|admin)\d{2}-[A-Za-z0-9_-]{80,})/g,
    keep: 14,
    minEntropy: 3.5,
  },
  {
    id: 'openai-api-key',
    title: 'OpenAI API key',
    pattern:
      /\b(sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{16,}T3BlbkFJ[A-Za-z0-9_-]{16,}|sk-[A-Za-z0-9]{48})(?![A-Za-z0-9_-])/g,
    keep: 3,
    minEntropy: 3.5,
  },
  {
    id: 'stripe-secret-key',
    title: 'Stripe secret or restricted key',
    pattern: /\b((?:sk|rk)_(?:live|test)_[0-9a-zA-Z]{24,247})\b/g,
    keep: 8,
    minEntropy: 3,
  },
  {
    id: 'airlock-key',
    title: 'Airlock agent or API key',
    pattern: /\b(alk_(?:agent|owner|admin|operator|auditor)_[0-9a-z]{40,})\b/g,
    keep: 10,
    minEntropy: 3,
  },
];

/** Shannon entropy of `text` in bits per character. */
export function entropy(text: string): number {
  if (text.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const c of text) counts.set(c, (counts.get(c) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / text.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/** Documentation examples (AWS's `…EXAMPLE` keys) are never reported. */
export function isDocumentedExample(value: string): boolean {
  return /EXAMPLE/.test(value);
}
