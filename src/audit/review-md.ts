import type { AccessReview, AgentReview } from './review.ts';

/** A table cell: pipes and line breaks escaped, so a name cannot break the table. */
function md(text: string | number | null): string {
  if (text === null) return '—';
  return String(text)
    .replace(/[\\|`*_[\]<>]/g, (c) => `\\${c}`)
    .replace(/[\r\n]+/g, ' ');
}

function list(items: readonly string[] | null): string {
  return items === null ? 'any' : items.map(md).join(', ');
}

function agentSection(a: AgentReview): string[] {
  const lines: string[] = [
    `## Agent ${md(a.name)}`,
    '',
    `- id: ${md(a.id)}`,
    `- created: ${md(a.createdAt)}`,
    `- status: ${a.revokedAt === null ? 'active' : `revoked ${md(a.revokedAt)}`}`,
    `- grants unused in the window: ${a.unusedGrants} of ${a.grants.length}`,
    '',
  ];
  if (a.grants.length === 0) {
    lines.push('No grants.', '');
  } else {
    lines.push(
      '| grant | service | methods | paths | expires | last used | uses in window | keep? |',
      '| --- | --- | --- | --- | --- | --- | --- | --- |',
      ...a.grants.map(
        (g) =>
          `| ${md(g.id)} | ${md(g.service)} | ${list(g.methods)} | ${list(g.paths)} | ${md(g.expiresAt ?? 'never')} | ${md(g.lastUsed ?? 'never')} | ${g.usesInWindow}${g.unusedInWindow ? ' (unused)' : ''} | ☐ keep ☐ revoke |`,
      ),
      '',
    );
  }
  lines.push(
    `Denied attempts in the window: ${a.denied.count}${a.denied.lastAt === null ? '' : ` (latest ${md(a.denied.lastAt)})`}`,
  );
  const codes = Object.entries(a.denied.byCode);
  if (codes.length > 0) lines.push('', ...codes.map(([code, n]) => `- ${md(code)}: ${n}`));
  if (a.denied.recent.length > 0) {
    lines.push(
      '',
      '| time | code | service | destination | event |',
      '| --- | --- | --- | --- | --- |',
      ...a.denied.recent.map(
        (d) =>
          `| ${md(d.time)} | ${md(d.code)} | ${md(d.service)} | ${md(d.destination)} | ${md(d.id)} |`,
      ),
    );
  }
  lines.push('');
  if (a.tokens.length === 0) {
    lines.push('Live tokens: none.', '');
  } else {
    lines.push(
      'Live tokens:',
      '',
      '| token | task | parent | expires |',
      '| --- | --- | --- | --- |',
      ...a.tokens.map(
        (t) => `| ${md(t.id)} | ${md(t.task)} | ${md(t.parent)} | ${md(t.expiresAt)} |`,
      ),
      '',
    );
  }
  return lines;
}

/**
 * The access review as a Markdown document a person can read and sign off:
 * one section per agent, a keep/revoke box per grant, and a sign-off block.
 */
export function accessReviewMarkdown(review: AccessReview): string {
  const lines = [
    '# Airlock access review',
    '',
    `- instance: ${md(review.instance)}`,
    `- workspace: ${md(review.workspace)}`,
    `- window: ${md(review.window.since)} to ${md(review.window.until)}`,
    `- generated: ${md(review.generatedAt)}`,
    `- agents: ${review.agents.length}`,
    '',
  ];
  if (review.agents.length === 0) lines.push('No agents are registered.', '');
  for (const agent of review.agents) lines.push(...agentSection(agent));
  lines.push(
    '## Sign-off',
    '',
    'Reviewed by: ______________________   Date: ____________',
    '',
    'Approved by: ______________________   Date: ____________',
    '',
  );
  return lines.join('\n');
}
