// The Node.js flags Airlock runs with, in one place: `bin/airlock.js` (`npx
// airlock …`) passes them, `npm start` spells them out (a test holds the two
// equal), and the benchmark starts `airlock serve` with them. Plain
// JavaScript, so the launcher can read it on any Node.

/**
 * `--max-semi-space-size=4`: V8's young generation is at most two 4 MiB
 * semi-spaces. Node 24 sizes the default from the machine's memory (two
 * 32 MiB semi-spaces on a 24 GiB machine); a burst of proxied requests grows
 * the young generation to that size, and an idle process then keeps most of
 * it resident: 26 MiB after 2,000 tunnels were opened, about 9 KiB per idle
 * tunnel (bench/ANALYSIS.md). The price: the smaller young generation is
 * scavenged more often, about 5% more CPU per request at 16 to 64 requests
 * in flight; throughput stayed within the benchmark's noise.
 */
export const NODE_FLAGS = Object.freeze(['--max-semi-space-size=4']);
