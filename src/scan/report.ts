import { TOKEN_RULES } from './rules.ts';
import type { ScanReport } from './types.ts';

/** `airlock scan` exit codes: 0 clean, 1 findings, 2 unresolved references (which wins). */
export function scanExitCode(report: ScanReport): 0 | 1 | 2 {
  if (report.unresolved.length > 0) return 2;
  return report.findings.length > 0 ? 1 : 0;
}

const EXTRA_RULES: readonly { id: string; title: string }[] = [
  { id: 'generic-assignment', title: 'Plaintext credential assigned to a credential-named key' },
  { id: 'url-credentials', title: 'Password in a URL' },
  { id: 'airlock-secret', title: 'The value of a secret Airlock holds' },
];

/**
 * The report as SARIF 2.1.0 (OASIS), for code-scanning tools: one run, a
 * rule per token shape, a result per finding with its masked excerpt as the
 * snippet. Unresolved references become notifications on the invocation.
 */
export function toSarif(report: ScanReport, version: string): unknown {
  const rules = [...TOKEN_RULES.map((r) => ({ id: r.id, title: r.title })), ...EXTRA_RULES];
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'airlock-scan',
            version,
            rules: rules.map((r) => ({ id: r.id, shortDescription: { text: r.title } })),
          },
        },
        invocations: [
          {
            executionSuccessful: true,
            toolExecutionNotifications: report.unresolved.map((u) => ({
              level: 'error',
              message: {
                text: `secret ${u.name} (${u.ref}) does not resolve: ${u.code ?? u.state}`,
              },
            })),
          },
        ],
        results: report.findings.map((f) => ({
          ruleId: f.rule,
          level: f.severity,
          message: { text: `${f.title}: ${f.excerpt}` },
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: f.path.replaceAll('\\', '/') },
                region: { startLine: f.line, startColumn: f.column, snippet: { text: f.excerpt } },
              },
            },
          ],
        })),
      },
    ],
  };
}
