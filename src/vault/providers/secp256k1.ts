import type { ECDH } from 'node:crypto';

// secp256k1 domain parameters (SEC 2 §2.4.1): y² = x³ + 7 over F_p.
const P = 2n ** 256n - 2n ** 32n - 977n;
const GX = 0x79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798n;
const GY = 0x483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8n;

interface Point {
  readonly x: bigint;
  readonly y: bigint;
}

function mod(a: bigint): bigint {
  const r = a % P;
  return r < 0n ? r + P : r;
}

function pow(base: bigint, exp: bigint): bigint {
  let result = 1n;
  let b = mod(base);
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % P;
    b = (b * b) % P;
    e >>= 1n;
  }
  return result;
}

function inv(a: bigint): bigint {
  return pow(a, P - 2n);
}

/** P + Q in affine coordinates, or null for the point at infinity. */
function add(a: Point, b: Point): Point | null {
  let slope: bigint;
  if (a.x === b.x) {
    if (mod(a.y + b.y) === 0n) return null;
    slope = mod(3n * a.x * a.x * inv(2n * a.y));
  } else {
    slope = mod((b.y - a.y) * inv(b.x - a.x));
  }
  const x = mod(slope * slope - a.x - b.x);
  return { x, y: mod(slope * (a.x - x) - a.y) };
}

function toBigInt(bytes: Uint8Array): bigint {
  return BigInt(`0x${Buffer.from(bytes).toString('hex') || '0'}`);
}

function toBytes32(n: bigint): Buffer {
  return Buffer.from(n.toString(16).padStart(64, '0'), 'hex');
}

function decode(uncompressed: Uint8Array): Point {
  if (uncompressed.length !== 65 || uncompressed[0] !== 4) {
    throw new TypeError('expected an uncompressed secp256k1 point');
  }
  return { x: toBigInt(uncompressed.subarray(1, 33)), y: toBigInt(uncompressed.subarray(33)) };
}

function encode(p: Point): Buffer {
  return Buffer.concat([Buffer.from([4]), toBytes32(p.x), toBytes32(p.y)]);
}

/**
 * The full ECDH shared point `d·E` (uncompressed, 65 bytes), where `d` is
 * the private key inside `ecdh` and `E` the peer's uncompressed public key.
 *
 * ECIES as dotenvx and eciesjs use it derives its key from the whole point,
 * but OpenSSL's ECDH returns only its x coordinate. Rather than multiply by
 * the private key in (non-constant-time) BigInt arithmetic, the scalar
 * multiplications stay in OpenSSL and only public-point additions happen
 * here: with S = d·E, both S and −S have that x; OpenSSL also gives
 * x(d·(E + G)) = x(S + d·G), and exactly one candidate matches it.
 * Throws `TypeError` for a point that is not on the curve (OpenSSL checks)
 * or that makes the construction degenerate (E = −G).
 */
export function sharedPoint(ecdh: ECDH, peerUncompressed: Uint8Array): Buffer {
  const peer = decode(peerUncompressed);
  const sx = toBigInt(ecdh.computeSecret(peerUncompressed));
  const shifted = add(peer, { x: GX, y: GY });
  if (shifted === null) throw new TypeError('degenerate ephemeral key');
  const tx = toBigInt(ecdh.computeSecret(encode(shifted)));
  const own = decode(ecdh.getPublicKey(null, 'uncompressed'));
  const y0 = pow(mod(sx * sx * sx + 7n), (P + 1n) / 4n);
  if (mod(y0 * y0) !== mod(sx * sx * sx + 7n)) throw new TypeError('shared x is not on the curve');
  for (const y of [y0, mod(-y0)]) {
    const sum = add({ x: sx, y }, own);
    if (sum !== null && sum.x === tx) return encode({ x: sx, y });
  }
  throw new TypeError('shared point could not be recovered');
}
