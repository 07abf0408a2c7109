import { randomBytes } from 'node:crypto';
import { type CaSet, createCa, pruneCaSet, rotateCa, trustBundlePem } from '../../ca/index.ts';
import { AirlockError } from '../../core/index.ts';
import { loadCaSet, saveCaSet } from '../../home/index.ts';
import type { ApiDeps } from '../deps.ts';
import { onlyFields } from '../fields.ts';
import { readOptionalJsonBody } from '../http.ts';
import type { Route } from '../router.ts';

const DAY = 24 * 3_600_000;
const DEFAULT_OVERLAP_DAYS = 7;
const MAX_OVERLAP_DAYS = 365;

/**
 * The CA as the API shows it: certificates and facts, never a private key.
 * `bundlePem` is what an agent should trust at `now`: the current CA, then
 * each retired CA still inside its overlap.
 */
function caView(set: CaSet, now: number): Record<string, unknown> {
  const live = pruneCaSet(set, now);
  return {
    certPem: set.current.certPem,
    fingerprint: set.current.fingerprint256,
    notBefore: new Date(set.current.notBefore).toISOString(),
    notAfter: new Date(set.current.notAfter).toISOString(),
    bundlePem: trustBundlePem(set, now),
    previous: live.previous.map((p) => ({
      fingerprint: p.fingerprint256,
      notAfter: new Date(p.notAfter).toISOString(),
      overlapUntil: new Date(p.overlapUntil).toISOString(),
    })),
  };
}

function overlapDays(value: unknown): number {
  if (value === undefined || value === null) return DEFAULT_OVERLAP_DAYS;
  if (
    typeof value !== 'number' ||
    !Number.isInteger(value) ||
    value < 0 ||
    value > MAX_OVERLAP_DAYS
  ) {
    throw new AirlockError(
      'ERR_INVALID_ARGUMENT',
      `"overlapDays" must be a whole number of days from 0 to ${MAX_OVERLAP_DAYS}`,
    );
  }
  return value;
}

/**
 * A subject name unique to the install and to this CA: two CAs in one trust
 * bundle never share a subject, so no client picks the wrong issuer by name.
 */
function commonName(instanceId: string): string {
  return `${`Airlock CA ${instanceId}`.slice(0, 56)} ${randomBytes(3).toString('hex')}`;
}

/**
 * `/v1/ca`: read the interception CA (certificate, fingerprint, trust
 * bundle) and rotate it. Rotation keeps the outgoing certificate trusted
 * for an overlap, so leaves already issued stay valid, and commits the new
 * set in one transaction.
 */
export function caRoutes(deps: ApiDeps): Route[] {
  return [
    {
      method: 'GET',
      path: '/v1/ca',
      action: 'ca:read',
      handle: async () => [
        200,
        { ca: caView(await loadCaSet(deps.store, deps.instanceKey), deps.clock.now()) },
      ],
    },
    {
      method: 'POST',
      path: '/v1/ca/rotate',
      action: 'ca:write',
      handle: async ({ req }) => {
        const body = await readOptionalJsonBody(req);
        onlyFields(body, ['overlapDays']);
        const days = overlapDays(body.overlapDays);
        const now = deps.clock.now();
        // Key generation is CPU work: do it before the transaction, not inside it.
        const next = createCa({ commonName: commonName(deps.instanceId), now });
        const set = await deps.store.transaction(async (tx) => {
          const current = await loadCaSet(tx, deps.instanceKey);
          const rotated = pruneCaSet(rotateCa(current, next, now + days * DAY), now);
          await saveCaSet(tx, deps.instanceKey, rotated);
          return rotated;
        });
        await deps.onCaChange();
        return [200, { ca: caView(set, now) }];
      },
    },
  ];
}
